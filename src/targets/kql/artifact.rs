//! Deployable artifacts on the kql target (`tripline compile --artifact`).
//!
//! # `sentinel`: a Microsoft Sentinel scheduled analytics rule
//!
//! The YAML form of the Azure-Sentinel repository, keys in this order: `id` (the rule's id),
//! `name` (title), `description`, `severity`, `status`, `enabled`, `requiredDataConnectors`,
//! `queryFrequency`, `queryPeriod`, `triggerOperator: gt`, `triggerThreshold: 0`, `tactics`,
//! `relevantTechniques`, `query` (the compiled query, a block scalar), `entityMappings`,
//! `version: 1.0.0`, `kind: Scheduled`. It is written with [`crate::yaml`] from a struct
//! (fixed key order), so it reads back to the same values.
//!
//! * `severity`: the rule's `level`, capitalised; `critical` is `High` (Sentinel's highest).
//! * `status`: `Available` (Sentinel's template statuses are `Available`, `Installed`, and
//!   `NotAvailable` for missing data connectors); `enabled`: `true`, `false` for a
//!   `status deprecated` rule (it deploys disabled).
//! * `name` at most 256 characters, `description` at most 5,000 (Sentinel's limits); longer
//!   is refused (`tripline::target::too_long`).
//! * `entityMappings` ([`entity_mappings`]): from the catalog's `entity` annotations of the
//!   source's fields, at most 5 entities (Sentinel's limit) of one field mapping each, with
//!   the entity type's identifier (Account `FullName`/`Name`/`Sid`/`AadUserId`, Host
//!   `FullName`, IP `Address`, Process `CommandLine`/`ProcessId`, File `Name`/`Directory`, URL
//!   `Url`, CloudApplication `Name`, RegistryKey `Key`, DNS `DomainName`). A field the table
//!   holds inside another column (`tostring(EventData.User)`) is computed by an `| extend
//!   Entity<field> = …` line appended to the artifact's query, which is otherwise the
//!   compiled query exactly; the bare query (without `--artifact`) is unchanged.
//! * `requiredDataConnectors`: the connector that fills the rule's table, from [`CONNECTORS`];
//!   for any other table an empty list, with a YAML comment naming the table.
//! * `query`: at most 10,000 characters (Sentinel's limit); a longer query is refused.
//! * `tactics` and `relevantTechniques`: from the `attack.*` tags ([`crate::targets::attack`]),
//!   which must agree with ATT&CK's technique → tactic table (a technique tag needs one of its
//!   tactics' tags; an unknown technique is refused): `tripline::target::attack_mismatch`,
//!   `tripline::target::unknown_technique`, on every artifact of every target.
//! * Schedule (Sentinel takes whole minutes, a `queryFrequency` of 5 minutes to 14 days and a
//!   `queryPeriod` of at least `queryFrequency` and at most 14 days). Durations are rounded
//!   up to whole minutes unless said otherwise:
//!   - a rule without a stage: every hour over the last hour (`1h` / `1h`);
//!   - `threshold ... window W`: `W` / `2W` (`W` at least 5 minutes, `2W` at most 14 days).
//!     Windows are aligned to the epoch and runs are not, so a run over only `W` would see
//!     every window in two parts; over `2W`, each window lies wholly inside the period of the
//!     first run after it ends (a window may then alert in two successive runs);
//!   - `sequence ... within T`: `queryFrequency` = `T` (at least 5 minutes, and at most
//!     14 days − `T`), `queryPeriod` = `T` + `queryFrequency`. A chain ends at most one
//!     frequency before the first run after it, and starts at most `T` before its end, so
//!     every chain lies wholly inside the period of that run. `T` over 14 days − 5 minutes is
//!     refused;
//!   - `new ... baseline B window W`: `queryPeriod` = `B` + `W` (which the query compiler
//!     already keeps within 14 days), `queryFrequency` = `W` rounded *down* to whole minutes,
//!     so that successive detection windows leave no gap. A window under 5 minutes is
//!     refused (Sentinel runs a rule at most every 5 minutes; the windows would leave gaps).
//!
//! # `defender`: a Microsoft Defender XDR custom detection rule
//!
//! JSON in the shape of the Graph security API's `detectionRule` (beta), keys in a fixed
//! order: `displayName`, `isEnabled` (`false` for a `status deprecated` rule),
//! `queryCondition.queryText`, `schedule.period` (`1H`,
//! every hour), `detectionAction.alertTemplate` {`title`, `description`, `severity`
//! (`informational`..`high`; `critical` is `high`), `category` (the first tactic, or
//! `SuspiciousActivity` for a rule without one), `mitreTechniques`, `recommendedActions:
//! null`, `impactedAssets`}. The impacted asset is the entity column every row of the table
//! carries: `DeviceId` for the `Device*` tables (an `impactedDeviceAsset` identified by
//! `deviceId`), `AccountObjectId` for the cloud and identity tables (an `impactedUserAsset`
//! identified by `accountObjectId`); an unknown table gets none.
//!
//! A custom detection's query must return `Timestamp` and `ReportId`. A rule without a stage
//! keeps every column of its table. A stateful rule's query summarises them away, which
//! Defender rejects, so its artifact is refused (`tripline::target::unsupported`).

use crate::targets::Construct;
use serde::Serialize;

use crate::catalog::{Entity, Mapped};
use crate::ir::{self, Duration, Stage};
use crate::targets::{attack, unsupported, Artifact, Ctx, TargetError};

/// Tables and the Sentinel data connector (`connectorId`) that fills each, as the
/// Azure-Sentinel repository names them. A table not listed gets no connector: `Event`, which
/// the Azure Monitor Agent fills from whatever event logs a data collection rule names, has none.
pub const CONNECTORS: &[(&str, &str)] = &[
    ("AADNonInteractiveUserSignInLogs", "AzureActiveDirectory"),
    ("AADServicePrincipalSignInLogs", "AzureActiveDirectory"),
    ("AADUserRiskEvents", "AzureActiveDirectory"),
    ("AuditLogs", "AzureActiveDirectory"),
    ("AWSCloudTrail", "AWS"),
    ("AzureActivity", "AzureActivity"),
    ("CloudAppEvents", "MicrosoftThreatProtection"),
    ("DeviceEvents", "MicrosoftThreatProtection"),
    ("DeviceFileEvents", "MicrosoftThreatProtection"),
    ("DeviceImageLoadEvents", "MicrosoftThreatProtection"),
    ("DeviceNetworkEvents", "MicrosoftThreatProtection"),
    ("DeviceProcessEvents", "MicrosoftThreatProtection"),
    ("DeviceRegistryEvents", "MicrosoftThreatProtection"),
    ("GCPAuditLogs", "GCPAuditLogsDefinition"),
    ("GitHubAuditLogsV3_CL", "GitHubAuditBlobConnector"),
    ("OfficeActivity", "Office365"),
    ("OktaV2_CL", "OktaSSOv2"),
    ("SecurityEvent", "SecurityEvents"),
    ("SigninLogs", "AzureActiveDirectory"),
    ("Syslog", "Syslog"),
    ("WindowsEvent", "WindowsForwardedEvents"),
];

/// The longest query a Sentinel analytics rule holds, in characters.
pub const MAX_QUERY_CHARS: usize = 10_000;

/// Sentinel's shortest `queryFrequency`, in minutes.
const MIN_FREQUENCY: u64 = 5;

/// Sentinel's longest `queryPeriod` (and `queryFrequency`), in minutes.
const MAX_PERIOD: u64 = 14 * 24 * 60;

/// A Sentinel analytics rule, in the key order of the Azure-Sentinel repository.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SentinelRule<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    severity: &'static str,
    status: &'static str,
    enabled: bool,
    required_data_connectors: Vec<Connector<'a>>,
    query_frequency: String,
    query_period: String,
    trigger_operator: &'static str,
    trigger_threshold: u32,
    tactics: Vec<&'static str>,
    relevant_techniques: Vec<String>,
    query: &'a str,
    entity_mappings: Vec<EntityMapping>,
    version: &'static str,
    kind: &'static str,
}

/// One entry of `entityMappings`: an entity and the columns that identify it.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntityMapping {
    pub(crate) entity_type: &'static str,
    pub(crate) field_mappings: Vec<FieldMapping>,
}

/// One `fieldMappings` entry: an identifier of the entity and the column holding it.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FieldMapping {
    pub(crate) identifier: &'static str,
    pub(crate) column_name: String,
}

/// Sentinel's most entities per analytics rule.
pub const MAX_ENTITIES: usize = 5;

/// Sentinel's most field mappings per entity.
pub const MAX_FIELD_MAPPINGS: usize = 3;

/// The longest description of a Sentinel analytics rule, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;

/// The longest name (display name) of a Sentinel analytics rule, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// Sentinel's entity type and identifier for a catalog field that identifies `entity`, or
/// `None` when the field's value is none of the entity's identifiers (a process's executable
/// path is not a Process identifier; a file's full path is neither a File's `Name` nor its
/// `Directory`; a file hash needs an `Algorithm` column besides its value).
fn entity_identifier(entity: Entity, field: &str) -> Option<(&'static str, &'static str)> {
    let lower = field.to_ascii_lowercase();
    Some(match entity {
        Entity::Account if lower.ends_with("sid") => ("Account", "Sid"),
        Entity::Account if lower.ends_with("objectid") => ("Account", "AadUserId"),
        // A bare account name (Windows' SubjectUserName, CloudTrail's userIdentity.userName).
        Entity::Account if lower.ends_with("username") => ("Account", "Name"),
        // DOMAIN\name, a UPN or an e-mail address: the account's full name.
        Entity::Account => ("Account", "FullName"),
        Entity::Host => ("Host", "FullName"),
        Entity::Ip => ("IP", "Address"),
        Entity::Process if lower.contains("commandline") => ("Process", "CommandLine"),
        Entity::Process if lower.ends_with("processid") => ("Process", "ProcessId"),
        Entity::Process => return None,
        Entity::File if lower.ends_with("filename") && !lower.contains("target") => {
            ("File", "Name")
        }
        Entity::File if lower.ends_with("folderpath") || lower.ends_with("directory") => {
            ("File", "Directory")
        }
        Entity::File => return None,
        Entity::Url => ("URL", "Url"),
        Entity::CloudApplication => ("CloudApplication", "Name"),
        Entity::RegistryKey => ("RegistryKey", "Key"),
        Entity::RegistryValue => return None,
        Entity::Dns => ("DNS", "DomainName"),
        Entity::FileHash => return None,
    })
}

/// A plain KQL column name (no quoting needed), as `columnName` takes it.
fn plain_column(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The column an artifact-only `| extend` gives a field written as an expression:
/// `Entity` and the field's name with every character but letters, digits and `_` as `_`
/// (`EntityCommandLine`, `EntityInitiatedBy_user_userPrincipalName`), a name no catalog
/// table uses, so it neither clashes with nor replaces a column of the rows.
fn entity_column(field: &str) -> String {
    let clean: String = field
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("Entity{clean}")
}

/// The entity mappings of a rule compiled for Sentinel, and the `extend` columns the
/// artifact's query needs for them (`(column, KQL expression)`), from the catalog's entity
/// annotations of the rule's source, on the columns the query returns:
///
/// * a rule without a stage returns its table's rows: a field written as a column is mapped
///   to that column; a field written as an expression (a value inside `EventData`, an XML
///   element of `SyslogMessage`) is computed by an `| extend` line appended to the artifact's
///   query only ([`entity_column`]), the bare query is unchanged;
/// * a stateful rule returns its stage's keys under the source field names: an annotated key
///   is mapped to its own name (no extend; the key already holds the field's value).
///
/// Each field is one entity with one field mapping (two fields of one type are two entities:
/// a process and its parent). At most [`MAX_ENTITIES`]: first one field of each entity type,
/// then the others, each in the source's field order.
pub(crate) fn entity_mappings(
    rule: &ir::Rule,
    ctx: &Ctx,
) -> (Vec<EntityMapping>, Vec<(String, String)>) {
    let src = ctx.source;
    // (entity type, identifier, column, the expression to extend it with).
    type Candidate = (&'static str, &'static str, String, Option<String>);
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut push = |field: &str, column: String, expr: Option<String>| {
        let Some(entity) = src.fields.get(field).and_then(|d| d.entity) else {
            return;
        };
        let Some((ty, id)) = entity_identifier(entity, field) else {
            return;
        };
        if plain_column(&column) && !candidates.iter().any(|c| c.0 == ty && c.2 == column) {
            candidates.push((ty, id, column, expr));
        }
    };
    match &rule.stage {
        None => {
            for name in src.fields.keys() {
                match src.map_field(ctx.catalog_key, name) {
                    Ok(Mapped::Column(c)) => push(name, c, None),
                    Ok(Mapped::Expr(e)) => push(name, entity_column(name), Some(e)),
                    Err(_) => {}
                }
            }
        }
        Some(stage) => {
            let keys: &[ir::Field] = match stage {
                Stage::Threshold { by, .. } | Stage::Sequence { by, .. } => by,
                Stage::FirstSeen { fields, .. } => fields,
            };
            // In the source's field order, as without a stage.
            for name in src.fields.keys() {
                if keys.iter().any(|k| &k.name == name) {
                    push(name, name.clone(), None);
                }
            }
        }
    }
    let mut chosen: Vec<usize> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if !chosen.iter().any(|&j| candidates[j].0 == c.0) {
            chosen.push(i);
        }
    }
    for i in 0..candidates.len() {
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.truncate(MAX_ENTITIES);
    let mut extends = Vec::new();
    let mappings = chosen
        .into_iter()
        .map(|i| {
            let (ty, id, column, expr) = &candidates[i];
            if let Some(e) = expr {
                extends.push((column.clone(), e.clone()));
            }
            let mut field_mappings = vec![FieldMapping {
                identifier: id,
                column_name: column.clone(),
            }];
            field_mappings.truncate(MAX_FIELD_MAPPINGS);
            EntityMapping {
                entity_type: ty,
                field_mappings,
            }
        })
        .collect();
    (mappings, extends)
}

/// The artifact's query: the compiled query, then one `| extend` line per entity column that
/// is an expression of the rule's table ([`entity_mappings`]).
fn with_extends(query: &str, extends: &[(String, String)]) -> String {
    let mut q = query.to_string();
    if !q.ends_with('\n') {
        q.push('\n');
    }
    for (column, expr) in extends {
        q.push_str(&format!("| extend {column} = {expr}\n"));
    }
    q
}

/// One entry of `requiredDataConnectors`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Connector<'a> {
    connector_id: &'static str,
    data_types: Vec<&'a str>,
}

/// The Defender entity a table's rows always carry, as `impactedAssets`.
fn impacted_assets(table: &str) -> serde_json::Value {
    let (kind, identifier) = if table.starts_with("Device") {
        ("#microsoft.graph.security.impactedDeviceAsset", "deviceId")
    } else if matches!(
        table,
        "CloudAppEvents" | "EntraIdSignInEvents" | "AADSignInEventsBeta" | "IdentityLogonEvents"
    ) {
        (
            "#microsoft.graph.security.impactedUserAsset",
            "accountObjectId",
        )
    } else {
        return serde_json::json!([]);
    };
    serde_json::json!([{ "@odata.type": kind, "identifier": identifier }])
}

/// `(queryFrequency, queryPeriod)` in minutes for a rule's stage, or why there is none.
fn sentinel_schedule(stage: Option<&Stage>) -> Result<(u64, u64), String> {
    let up = |d: Duration| d.seconds.div_ceil(60);
    match stage {
        None => Ok((60, 60)),
        Some(Stage::Threshold { window, .. }) => {
            let w = up(*window).max(MIN_FREQUENCY);
            if 2 * w > MAX_PERIOD {
                return Err(format!(
                    "the window is {}; to see every window whole a rule looks back two \
                     windows, and a Sentinel rule looks back at most 14 days",
                    window.text()
                ));
            }
            Ok((w, 2 * w))
        }
        Some(Stage::Sequence { within, .. }) => {
            let t = up(*within);
            let freq = t.max(MIN_FREQUENCY).min(MAX_PERIOD.saturating_sub(t));
            if freq < MIN_FREQUENCY {
                return Err(format!(
                    "a chain may span {}, and a Sentinel rule that runs every 5 minutes or \
                     more would need a query period over 14 days to see every chain whole",
                    within.text()
                ));
            }
            Ok((freq, t + freq))
        }
        Some(Stage::FirstSeen {
            baseline, window, ..
        }) => {
            let period = (baseline.seconds + window.seconds).div_ceil(60);
            let freq = window.seconds / 60;
            if freq < MIN_FREQUENCY {
                return Err(format!(
                    "the detection window is {}, and Sentinel runs a rule at most every 5 \
                     minutes: successive windows would leave gaps",
                    window.text()
                ));
            }
            if period > MAX_PERIOD {
                return Err("baseline and window exceed Sentinel's 14-day query period".into());
            }
            Ok((freq, period))
        }
    }
}

/// Minutes as a Sentinel duration (`5m`, `1h`, `14d`).
fn minutes(m: u64) -> String {
    Duration { seconds: m * 60 }.text()
}

/// Sentinel's refusal of an analytics rule (the query itself compiled).
fn sentinel_refusal(
    construct: &str,
    span: ir::Span,
    reason: &str,
    help: Option<&str>,
) -> Vec<TargetError> {
    let kind = Construct::Artifact;
    vec![unsupported(
        "kql (sentinel)",
        kind,
        construct,
        span,
        reason,
        help,
    )]
}

/// The Sentinel analytics rule for a rule compiled to `query` on `table`.
pub(super) fn sentinel(
    rule: &ir::Rule,
    query: &str,
    table: &str,
    ctx: &Ctx,
) -> Result<Artifact, Vec<TargetError>> {
    attack::check_artifact(rule, ctx, "kql (sentinel)")?;
    let (entity_mappings, extends) = entity_mappings(rule, ctx);
    let query = &with_extends(query, &extends);
    for (what, text, max) in [
        ("name (the title)", &rule.meta.title, MAX_NAME_CHARS),
        ("description", &rule.meta.description, MAX_DESCRIPTION_CHARS),
    ] {
        let n = text.chars().count();
        if n > max {
            return Err(vec![too_long(rule, what, n, max)]);
        }
    }
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(sentinel_refusal(
            "a Sentinel scheduled analytics rule for this query",
            rule.span,
            &format!(
                "the query has {chars} characters, and an analytics rule holds at most \
                 {MAX_QUERY_CHARS}"
            ),
            Some("split the rule, or move long lists into a watchlist or function"),
        ));
    }
    let (frequency, period) = sentinel_schedule(rule.stage.as_ref()).map_err(|reason| {
        sentinel_refusal(
            "a Sentinel scheduled analytics rule for this stage",
            rule.stage.as_ref().map_or(rule.span, Stage::span),
            &reason,
            Some("compile the bare query (without --artifact) and schedule it by hand"),
        )
    })?;
    let connector = CONNECTORS.iter().find(|(t, _)| *t == table);
    let doc = SentinelRule {
        id: &rule.meta.id,
        name: &rule.meta.title,
        description: &rule.meta.description,
        severity: match rule.meta.level.as_str() {
            "informational" => "Informational",
            "low" => "Low",
            "medium" => "Medium",
            _ => "High",
        },
        // The template status (Available | Installed | NotAvailable, the last for missing
        // data connectors): a deprecated rule is still a valid template, deployed disabled.
        status: "Available",
        enabled: !deprecated(rule),
        required_data_connectors: connector
            .map(|(t, c)| Connector {
                connector_id: c,
                data_types: vec![t],
            })
            .into_iter()
            .collect(),
        query_frequency: minutes(frequency),
        query_period: minutes(period),
        trigger_operator: "gt",
        trigger_threshold: 0,
        tactics: attack::tactics(&rule.meta),
        relevant_techniques: attack::techniques(&rule.meta),
        query,
        entity_mappings,
        version: "1.0.0",
        kind: "Scheduled",
    };
    let mut text = crate::yaml::to_string(&doc).map_err(|e| {
        sentinel_refusal(
            "a Sentinel scheduled analytics rule",
            rule.span,
            &format!("the YAML could not be written: {e}"),
            None,
        )
    })?;
    if connector.is_none() {
        let line = "requiredDataConnectors: []\n";
        let clean: String = table
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let comment = format!(
            "# No Sentinel data connector is known for the table `{clean}`: list the one that \
             fills it.\n{line}"
        );
        text = text.replacen(line, &comment, 1);
    }
    Ok(Artifact {
        extension: "yaml",
        text,
    })
}

/// Whether the rule is `status deprecated` (its artifacts deploy disabled).
pub(crate) fn deprecated(rule: &ir::Rule) -> bool {
    rule.meta.status == "deprecated"
}

/// The refusal of a Sentinel analytics rule whose `what` has `n` characters, over `max`.
fn too_long(rule: &ir::Rule, what: &str, n: usize, max: usize) -> TargetError {
    TargetError::TooLong {
        target: "kql (sentinel)".into(),
        what: what.into(),
        chars: n,
        max,
        span: rule.span.into(),
    }
}

/// The Defender XDR custom detection rule for a rule compiled to `query`.
pub(super) fn defender(
    rule: &ir::Rule,
    query: &str,
    table: &str,
    ctx: &Ctx,
) -> Result<Artifact, Vec<TargetError>> {
    attack::check_artifact(rule, ctx, "kql (defender)")?;
    if let Some(stage) = &rule.stage {
        return Err(vec![unsupported(
            "kql (defender)",
            Construct::Artifact,
            "a Defender custom detection for a stateful rule",
            stage.span(),
            "a custom detection's query must return `Timestamp` and `ReportId`, and this \
             stage's query summarises them away",
            Some(
                "deploy the Sentinel analytics rule (`--flavor sentinel --artifact`), or run \
                 the query in advanced hunting",
            ),
        )]);
    }
    let severity = match rule.meta.level.as_str() {
        "informational" => "informational",
        "low" => "low",
        "medium" => "medium",
        _ => "high",
    };
    let category = attack::tactics(&rule.meta)
        .first()
        .copied()
        .unwrap_or("SuspiciousActivity");
    let doc = serde_json::json!({
        "displayName": rule.meta.title,
        "isEnabled": !deprecated(rule),
        "queryCondition": { "queryText": query },
        "schedule": { "period": "1H" },
        "detectionAction": {
            "alertTemplate": {
                "title": rule.meta.title,
                "description": rule.meta.description,
                "severity": severity,
                "category": category,
                "mitreTechniques": attack::techniques(&rule.meta),
                "recommendedActions": null,
                "impactedAssets": impacted_assets(table),
            }
        }
    });
    // Serialising a `Value` cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    Ok(Artifact {
        extension: "json",
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{self, Error, Options};

    const STORM: &str = r#"
rule storm {
    title       "Mail Items Accessed By Unexpected Application"
    id          dcb83a84-e326-47fc-902a-4edf70cb9231
    status      experimental
    level       critical
    date        2026-11-28
    tags        attack.collection, attack.t1114.002, attack.credential-access, attack.t1606
    description """
        Detects MailItemsAccessed records
        from an unexpected application.
    """
    source m365.audit
    match Operation == "MailItemsAccessed" and AppId not in ["00000003-0000-0000-c000-000000000000"]
}
"#;

    use crate::targets::test_fixtures::SPRAY;

    fn rule_with(tags: &str, source: &str, body: &str) -> String {
        format!(
            "rule r {{ title \"R\" id 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 status test \
             level low date 2024-03-01 description \"Detects x.\" {tags}\n    source {source}\n{body} }}\n"
        )
    }

    /// `(bare query, artifact)` or the refusals.
    fn build(flavor: &str, text: &str) -> Result<(String, Artifact), Vec<TargetError>> {
        let opts = Options::new("kql", Some(flavor))
            .expect("options")
            .with_artifact(true);
        let out = driver::compile(text, &opts);
        if out.diagnostics.is_empty() {
            let o = &out.outputs[0];
            return Ok((o.text.clone(), o.artifact.clone().expect("an artifact")));
        }
        Err(out
            .diagnostics
            .into_iter()
            .map(|d| match d.error {
                Error::Target(t) => t,
                other => panic!("not a target error: {other:?}"),
            })
            .collect())
    }

    fn artifact(flavor: &str, text: &str) -> (String, Artifact) {
        build(flavor, text).unwrap_or_else(|e| panic!("refused: {e:?}"))
    }

    fn refusal(flavor: &str, text: &str) -> (String, String) {
        match build(flavor, text) {
            Ok((_, a)) => panic!("not refused: {}", a.text),
            Err(es) => {
                assert_eq!(es.len(), 1, "{es:?}");
                match &es[0] {
                    TargetError::Unsupported {
                        construct, reason, ..
                    } => (construct.clone(), reason.clone()),
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    /// The query as it appears in the YAML block scalar: each line indented by two spaces.
    fn block(query: &str) -> String {
        query.lines().map(|l| format!("  {l}\n")).collect()
    }

    #[test]
    fn sentinel_single_event() {
        let (query, a) = artifact("sentinel", STORM);
        assert_eq!(a.extension, "yaml");
        assert_eq!(
            a.text,
            format!(
                "id: dcb83a84-e326-47fc-902a-4edf70cb9231\n\
                 name: Mail Items Accessed By Unexpected Application\n\
                 description: |-\n  Detects MailItemsAccessed records\n  from an unexpected application.\n\
                 severity: High\n\
                 status: Available\n\
                 enabled: true\n\
                 requiredDataConnectors:\n\
                 - connectorId: Office365\n  dataTypes:\n  - OfficeActivity\n\
                 queryFrequency: 1h\n\
                 queryPeriod: 1h\n\
                 triggerOperator: gt\n\
                 triggerThreshold: 0\n\
                 tactics:\n- Collection\n- CredentialAccess\n\
                 relevantTechniques:\n- T1114.002\n- T1606\n\
                 query: |\n{}\
                 entityMappings:\n\
                 - entityType: Account\n  fieldMappings:\n  - identifier: FullName\n    columnName: UserId\n\
                 - entityType: IP\n  fieldMappings:\n  - identifier: Address\n    columnName: ClientIP\n\
                 version: 1.0.0\n\
                 kind: Scheduled\n",
                block(&query)
            )
        );
        assert_eq!(
            query,
            "OfficeActivity\n\
             | where Operation =~ \"MailItemsAccessed\"\n\
             | where AppId !~ \"00000003-0000-0000-c000-000000000000\"\n"
        );
    }

    #[test]
    fn sentinel_threshold() {
        let (query, a) = artifact("sentinel", SPRAY);
        assert_eq!(
            a.text,
            format!(
                "id: 5c0e3a51-7f4b-4c0e-9a3d-2b7c1e9f6d40\n\
                 name: 'Password Spray: one address'\n\
                 description: Detects a spray.\n\
                 severity: Medium\n\
                 status: Available\n\
                 enabled: true\n\
                 requiredDataConnectors:\n\
                 - connectorId: AzureActiveDirectory\n  dataTypes:\n  - SigninLogs\n\
                 queryFrequency: 1h\n\
                 queryPeriod: 2h\n\
                 triggerOperator: gt\n\
                 triggerThreshold: 0\n\
                 tactics:\n- CredentialAccess\n\
                 relevantTechniques:\n- T1110.003\n\
                 query: |\n{}\
                 entityMappings:\n\
                 - entityType: IP\n  fieldMappings:\n  - identifier: Address\n    columnName: IPAddress\n\
                 version: 1.0.0\n\
                 kind: Scheduled\n",
                block(&query)
            )
        );
        assert!(query.contains("bin_at(TimeGenerated, 1h, datetime(1970-01-01))"));
    }

    /// The YAML reads back to the same values, the query included.
    #[test]
    fn sentinel_reads_back() {
        for text in [STORM, SPRAY] {
            let (query, a) = artifact("sentinel", text);
            let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
            assert_eq!(v["query"], query.as_str());
            assert_eq!(v["triggerThreshold"], 0);
            assert_eq!(v["version"], "1.0.0");
            let keys: Vec<&str> = v
                .as_object()
                .expect("map")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                [
                    "id",
                    "name",
                    "description",
                    "severity",
                    "status",
                    "enabled",
                    "requiredDataConnectors",
                    "queryFrequency",
                    "queryPeriod",
                    "triggerOperator",
                    "triggerThreshold",
                    "tactics",
                    "relevantTechniques",
                    "query",
                    "entityMappings",
                    "version",
                    "kind"
                ]
            );
        }
        let (_, a) = artifact("sentinel", STORM);
        let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
        assert_eq!(
            v["description"],
            "Detects MailItemsAccessed records\nfrom an unexpected application."
        );
    }

    /// Titles that YAML would read as something else are quoted and read back as written.
    #[test]
    fn sentinel_quotes_awkward_titles() {
        for title in [
            "yes",
            "1.0",
            "- x",
            "a: b",
            "#x",
            "null",
            "'q' \\\"d\\\"",
            "~",
        ] {
            let text = SPRAY.replace("Password Spray: one address", title);
            let (_, a) = artifact("sentinel", &text);
            let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
            assert_eq!(v["name"], title.replace("\\\"", "\""), "{}", a.text);
        }
    }

    fn schedule(body: &str) -> (String, String) {
        let (_, a) = artifact("sentinel", &rule_with("", "azure.signinlogs", body));
        let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
        (
            v["queryFrequency"].as_str().expect("freq").to_string(),
            v["queryPeriod"].as_str().expect("period").to_string(),
        )
    }

    #[test]
    fn sentinel_schedules() {
        let s = |f: &str, p: &str| (f.to_string(), p.to_string());
        let m = "    match ResultType == 50126\n";
        assert_eq!(schedule(m), s("1h", "1h"));
        let t = |w: &str| format!("{m}    threshold count > 5 by IPAddress window {w}");
        // Threshold rules look back two windows, so each window is seen whole.
        assert_eq!(schedule(&t("1h")), s("1h", "2h"));
        assert_eq!(schedule(&t("1d")), s("1d", "2d"));
        assert_eq!(schedule(&t("1m")), s("5m", "10m"));
        assert_eq!(schedule(&t("90s")), s("5m", "10m"));
        assert_eq!(schedule(&t("330s")), s("6m", "12m"));
        assert_eq!(schedule(&t("7d")), s("7d", "14d"));
        let seq = |w: &str| {
            let text = format!(
                "condition a = ResultType == 50126\ncondition b = ResultType == 0\n{}",
                rule_with(
                    "",
                    "azure.signinlogs",
                    &format!(
                        "    match ResultType exists\n    sequence by UserPrincipalName within {w} [a, b]"
                    )
                )
            );
            let (_, a) = artifact("sentinel", &text);
            let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
            s(
                v["queryFrequency"].as_str().expect("f"),
                v["queryPeriod"].as_str().expect("p"),
            )
        };
        assert_eq!(seq("30m"), s("30m", "1h"));
        assert_eq!(seq("1m"), s("5m", "6m"));
        assert_eq!(seq("2h"), s("2h", "4h"));
        assert_eq!(seq("7d"), s("7d", "14d"));
        assert_eq!(seq("10d"), s("4d", "14d"));
        let n = |b: &str, w: &str| format!("{m}    new AppId baseline {b} window {w}");
        assert_eq!(schedule(&n("13d23h", "1h")), s("1h", "14d"));
        assert_eq!(schedule(&n("13d", "1d")), s("1d", "14d"));
        assert_eq!(schedule(&n("7d", "5m")), s("5m", "10085m"));
        assert_eq!(schedule(&n("1d", "330s")), s("5m", "1446m"));
    }

    #[test]
    fn sentinel_refusals() {
        let m = "    match ResultType == 50126\n";
        let text = rule_with(
            "",
            "azure.signinlogs",
            &format!("{m}    new AppId baseline 1d window 4m"),
        );
        let (construct, reason) = refusal("sentinel", &text);
        assert_eq!(
            construct,
            "a Sentinel scheduled analytics rule for this stage"
        );
        assert!(reason.contains("at most every 5 minutes"), "{reason}");
        let text = rule_with(
            "",
            "azure.signinlogs",
            &format!("{m}    threshold count > 5 by IPAddress window 15d"),
        );
        let (_, reason) = refusal("sentinel", &text);
        assert!(reason.contains("the window is 15d"), "{reason}");
        let text = format!(
            "condition a = ResultType == 50126\ncondition b = ResultType == 0\n{}",
            rule_with(
                "",
                "azure.signinlogs",
                "    match ResultType exists\n    sequence by UserPrincipalName within 14d [a, b]"
            )
        );
        let (_, reason) = refusal("sentinel", &text);
        assert!(reason.contains("a chain may span 14d"), "{reason}");
    }

    #[test]
    fn sentinel_refuses_queries_over_10000_characters() {
        let values = |n: usize| -> String {
            (0..n)
                .map(|i| format!("\"{:08}-aaaa-bbbb-cccc-dddddddddddd\"", i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Each value adds 40 characters to the query (`"…"` and `, `).
        let text =
            |n: usize| SPRAY.replace("ResultType == 50126", &format!("AppId in [{}]", values(n)));
        let (query, _) = artifact("sentinel", &text(200));
        assert!(query.len() < MAX_QUERY_CHARS, "{}", query.len());
        let (construct, reason) = refusal("sentinel", &text(300));
        assert_eq!(
            construct,
            "a Sentinel scheduled analytics rule for this query"
        );
        assert!(reason.ends_with("holds at most 10000"), "{reason}");
    }

    #[test]
    fn sentinel_unknown_table_has_no_connector() {
        let catalog = crate::catalog::Catalog::from_yaml(
            "sources:\n  t.src:\n    description: a custom table\n    logsource: {product: test}\n    \
             timestamp: Time\n    fields:\n      Time: string\n      A: string\n    targets:\n      kql.sentinel:\n        \
             table: MyTable_CL\n        timestamp: TimeGenerated\n",
            "test",
        )
        .expect("catalog");
        let opts = Options::new("kql", Some("sentinel"))
            .expect("options")
            .with_catalog(catalog)
            .with_artifact(true);
        let out = driver::compile(&rule_with("", "t.src", "    match A == \"x\""), &opts);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let a = out.outputs[0].artifact.clone().expect("artifact");
        assert!(a.text.contains(
            "severity: Low\n\
             status: Available\n\
             enabled: true\n\
             # No Sentinel data connector is known for the table `MyTable_CL`: list the one \
             that fills it.\n\
             requiredDataConnectors: []\n\
             queryFrequency: 1h\n"
        ));
        assert!(a.text.contains("tactics: []\nrelevantTechniques: []\n"));
        let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
        assert_eq!(v["requiredDataConnectors"], serde_json::json!([]));
    }

    #[test]
    fn defender_single_event() {
        let (query, a) = artifact("defender", STORM);
        assert_eq!(a.extension, "json");
        let q = serde_json::to_string(&query).expect("json");
        assert_eq!(
            a.text,
            format!(
                r##"{{
  "displayName": "Mail Items Accessed By Unexpected Application",
  "isEnabled": true,
  "queryCondition": {{
    "queryText": {q}
  }},
  "schedule": {{
    "period": "1H"
  }},
  "detectionAction": {{
    "alertTemplate": {{
      "title": "Mail Items Accessed By Unexpected Application",
      "description": "Detects MailItemsAccessed records\nfrom an unexpected application.",
      "severity": "high",
      "category": "Collection",
      "mitreTechniques": [
        "T1114.002",
        "T1606"
      ],
      "recommendedActions": null,
      "impactedAssets": [
        {{
          "@odata.type": "#microsoft.graph.security.impactedUserAsset",
          "identifier": "accountObjectId"
        }}
      ]
    }}
  }}
}}
"##
            )
        );
        assert!(query.starts_with("CloudAppEvents\n"), "{query}");
        let v: serde_json::Value = serde_json::from_str(&a.text).expect("json");
        assert_eq!(v["queryCondition"]["queryText"], query.as_str());
    }

    #[test]
    fn defender_impacted_assets_follow_the_table() {
        let asset = |t: &str| impacted_assets(t).to_string();
        assert_eq!(
            asset("DeviceProcessEvents"),
            r##"[{"@odata.type":"#microsoft.graph.security.impactedDeviceAsset","identifier":"deviceId"}]"##
        );
        assert_eq!(
            asset("EntraIdSignInEvents"),
            r##"[{"@odata.type":"#microsoft.graph.security.impactedUserAsset","identifier":"accountObjectId"}]"##
        );
        assert_eq!(asset("MyTable_CL"), "[]");
    }

    #[test]
    fn defender_without_tactic_is_suspicious_activity() {
        let (_, a) = artifact(
            "defender",
            &rule_with(
                "tags attack.g0016",
                "windows.process_creation",
                "    match Image endswith \"\\\\x.exe\"",
            ),
        );
        let v: serde_json::Value = serde_json::from_str(&a.text).expect("json");
        let t = &v["detectionAction"]["alertTemplate"];
        assert_eq!(t["category"], "SuspiciousActivity");
        assert_eq!(t["severity"], "low");
        // (A technique tag needs one of its tactics' tags: `tripline::check::attack_mismatch`.)
        assert_eq!(t["mitreTechniques"], serde_json::json!([]));
    }

    #[test]
    fn defender_refuses_stateful_rules() {
        let (construct, reason) = refusal("defender", SPRAY);
        assert_eq!(construct, "a Defender custom detection for a stateful rule");
        assert!(reason.contains("`Timestamp` and `ReportId`"), "{reason}");
        // The bare query still compiles.
        let opts = Options::new("kql", Some("defender")).expect("options");
        let out = driver::compile(SPRAY, &opts);
        assert!(out.diagnostics.is_empty());
        assert!(out.outputs[0].artifact.is_none());
    }

    #[test]
    fn yaml_stream_bundles_documents() {
        let opts = Options::new("kql", Some("sentinel"))
            .expect("options")
            .with_artifact(true);
        let out = driver::compile(&format!("{STORM}\n{SPRAY}"), &opts);
        assert!(out.diagnostics.is_empty());
        let b = out.bundle(&opts);
        assert!(b.starts_with("---\nid: dcb83a84"), "{b}");
        assert_eq!(b.matches("\n---\nid: ").count(), 1);
    }

    /// A rule on a custom source whose fields all identify something, on table `T_CL`.
    fn entity_rule(body: &str) -> Artifact {
        let catalog = crate::catalog::Catalog::from_yaml(
            "sources:\n  t.src:\n    description: entities\n    logsource: {product: test}\n    \
             timestamp: Time\n    fields:\n      Time: string\n      \
             Host: {type: string, entity: host}\n      \
             UserName: {type: string, entity: account}\n      \
             Upn: {type: string, entity: account}\n      \
             SrcIp: {type: ip, entity: ip}\n      \
             DstIp: {type: ip, entity: ip}\n      \
             Image: {type: string, entity: process}\n      \
             CommandLine: {type: string, entity: process}\n      \
             App: {type: string, entity: cloud_application}\n      \
             Hash: {type: string, entity: file_hash}\n      \
             Extracted: {type: string, entity: url}\n    targets:\n      kql.sentinel:\n        \
             table: T_CL\n        timestamp: TimeGenerated\n        fields:\n          \
             Extracted: {column: Raw, expr: 'tostring(Raw.url)'}\n",
            "test",
        )
        .expect("catalog");
        let opts = Options::new("kql", Some("sentinel"))
            .expect("options")
            .with_catalog(catalog)
            .with_artifact(true);
        let out = driver::compile(&rule_with("", "t.src", body), &opts);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        out.outputs[0].artifact.clone().expect("artifact")
    }

    fn mappings(a: &Artifact) -> Vec<(String, String, String)> {
        let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
        v["entityMappings"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| {
                let f = &e["fieldMappings"].as_array().expect("list");
                assert!(!f.is_empty() && f.len() <= MAX_FIELD_MAPPINGS);
                (
                    e["entityType"].as_str().unwrap().to_string(),
                    f[0]["identifier"].as_str().unwrap().to_string(),
                    f[0]["columnName"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn entity_mappings_take_five_one_of_each_type_first() {
        let a = entity_rule("    match Host == \"x\"");
        let m = mappings(&a);
        let s = |t: &str, i: &str, c: &str| (t.to_string(), i.to_string(), c.to_string());
        // Eight candidates (Image is a path, no Process identifier; Hash needs an Algorithm
        // column; Extracted is an expression, not a column of the output): one of each type
        // in field order, then the rest, five in all.
        assert_eq!(
            m,
            [
                s("Host", "FullName", "Host"),
                s("Account", "Name", "UserName"),
                s("IP", "Address", "SrcIp"),
                s("Process", "CommandLine", "CommandLine"),
                s("CloudApplication", "Name", "App"),
            ]
        );
        assert_eq!(m.len(), MAX_ENTITIES);
    }

    #[test]
    fn entity_mappings_of_a_stateful_rule_are_its_keys() {
        let a =
            entity_rule("    match Host == \"x\"\n    threshold count > 5 by Upn, DstIp window 1h");
        let s = |t: &str, i: &str, c: &str| (t.to_string(), i.to_string(), c.to_string());
        assert_eq!(
            mappings(&a),
            [s("Account", "FullName", "Upn"), s("IP", "Address", "DstIp")]
        );
    }

    #[test]
    fn deprecated_rules_deploy_disabled() {
        let text = STORM.replace("status      experimental", "status      deprecated");
        let (_, a) = artifact("sentinel", &text);
        let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
        assert_eq!(v["enabled"], false);
        assert_eq!(v["status"], "Available");
        let (_, a) = artifact("sentinel", STORM);
        let v: serde_json::Value = crate::yaml::from_str(&a.text).expect("yaml");
        assert_eq!(v["enabled"], true);
        let (_, a) = artifact("defender", &text);
        let v: serde_json::Value = serde_json::from_str(&a.text).expect("json");
        assert_eq!(v["isEnabled"], false);
        let (_, a) = artifact("defender", STORM);
        let v: serde_json::Value = serde_json::from_str(&a.text).expect("json");
        assert_eq!(v["isEnabled"], true);
    }

    #[test]
    fn attack_tags_must_agree_for_every_kql_artifact() {
        use miette::Diagnostic;
        // T1027 (Obfuscated Files or Information) is Defense Evasion only.
        let text = STORM.replace("attack.t1606", "attack.t1027");
        for flavor in ["sentinel", "defender"] {
            let es = build(flavor, &text).expect_err("refused");
            assert_eq!(es.len(), 1, "{es:?}");
            assert_eq!(
                es[0].code().map(|c| c.to_string()).as_deref(),
                Some("tripline::target::attack_mismatch")
            );
            assert_eq!(
                es[0].help().map(|h| h.to_string()).as_deref(),
                Some("add the tactic tag `attack.defense-evasion`")
            );
            assert!(es[0]
                .to_string()
                .contains("T1027 Obfuscated Files or Information"));
        }
        let text = STORM.replace("attack.t1606", "attack.t1999");
        let es = build("sentinel", &text).expect_err("refused");
        assert_eq!(
            es[0].code().map(|c| c.to_string()).as_deref(),
            Some("tripline::target::unknown_technique")
        );
        // The bare query does not publish the tags: it compiles.
        let opts = Options::new("kql", Some("sentinel")).expect("options");
        assert!(driver::compile(&text, &opts).diagnostics.is_empty());
    }

    #[test]
    fn sentinel_limits_the_description() {
        use miette::Diagnostic;
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        let text = SPRAY.replace("Detects a spray.", &long);
        let es = build("sentinel", &text).expect_err("refused");
        assert_eq!(
            es[0].code().map(|c| c.to_string()).as_deref(),
            Some("tripline::target::too_long")
        );
        assert!(
            es[0].to_string().contains("has 5001 characters"),
            "{}",
            es[0]
        );
        let ok = SPRAY.replace("Detects a spray.", &"x".repeat(MAX_DESCRIPTION_CHARS));
        artifact("sentinel", &ok);
    }
}
