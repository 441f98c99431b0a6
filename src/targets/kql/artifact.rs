//! Deployable artifacts on the kql target (`tripline compile --artifact`).
//!
//! # `sentinel`: a Microsoft Sentinel scheduled analytics rule
//!
//! The YAML form of the Azure-Sentinel repository, keys in this order: `id` (the rule's id),
//! `name` (title), `description`, `severity`, `requiredDataConnectors`, `queryFrequency`,
//! `queryPeriod`, `triggerOperator: gt`, `triggerThreshold: 0`, `tactics`,
//! `relevantTechniques`, `query` (the compiled query, a block scalar), `version: 1.0.0`,
//! `kind: Scheduled`. It is written with [`crate::yaml`] from a struct (fixed key order), so
//! it reads back to the same values.
//!
//! * `severity`: the rule's `level`, capitalised; `critical` is `High` (Sentinel's highest).
//! * `requiredDataConnectors`: the connector that fills the rule's table, from [`CONNECTORS`];
//!   for any other table an empty list, with a YAML comment naming the table.
//! * `query`: at most 10,000 characters (Sentinel's limit); a longer query is refused.
//! * `tactics` and `relevantTechniques`: from the `attack.*` tags ([`crate::targets::attack`]).
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
//! order: `displayName`, `isEnabled`, `queryCondition.queryText`, `schedule.period` (`1H`,
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

use serde::Serialize;

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
    required_data_connectors: Vec<Connector<'a>>,
    query_frequency: String,
    query_period: String,
    trigger_operator: &'static str,
    trigger_threshold: u32,
    tactics: Vec<&'static str>,
    relevant_techniques: Vec<String>,
    query: &'a str,
    version: &'static str,
    kind: &'static str,
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

/// The Sentinel analytics rule for a rule compiled to `query` on `table`.
pub(super) fn sentinel(
    rule: &ir::Rule,
    query: &str,
    table: &str,
    _ctx: &Ctx,
) -> Result<Artifact, Vec<TargetError>> {
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(vec![unsupported(
            "kql (sentinel)",
            "a Sentinel scheduled analytics rule for this query",
            rule.span,
            &format!(
                "the query has {chars} characters, and an analytics rule holds at most \
                 {MAX_QUERY_CHARS}"
            ),
            Some("split the rule, or move long lists into a watchlist or function"),
        )]);
    }
    let (frequency, period) = sentinel_schedule(rule.stage.as_ref()).map_err(|reason| {
        vec![unsupported(
            "kql (sentinel)",
            "a Sentinel scheduled analytics rule for this stage",
            rule.stage.as_ref().map_or(rule.span, Stage::span),
            &reason,
            Some("compile the bare query (without --artifact) and schedule it by hand"),
        )]
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
        version: "1.0.0",
        kind: "Scheduled",
    };
    let mut text = crate::yaml::to_string(&doc).map_err(|e| {
        vec![unsupported(
            "kql (sentinel)",
            "a Sentinel scheduled analytics rule",
            rule.span,
            &format!("the YAML could not be written: {e}"),
            None,
        )]
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

/// The Defender XDR custom detection rule for a rule compiled to `query`.
pub(super) fn defender(
    rule: &ir::Rule,
    query: &str,
    table: &str,
) -> Result<Artifact, Vec<TargetError>> {
    if let Some(stage) = &rule.stage {
        return Err(vec![unsupported(
            "kql (defender)",
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
        "isEnabled": true,
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
                 requiredDataConnectors:\n\
                 - connectorId: Office365\n  dataTypes:\n  - OfficeActivity\n\
                 queryFrequency: 1h\n\
                 queryPeriod: 1h\n\
                 triggerOperator: gt\n\
                 triggerThreshold: 0\n\
                 tactics:\n- Collection\n- CredentialAccess\n\
                 relevantTechniques:\n- T1114.002\n- T1606\n\
                 query: |\n{}\
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
                 requiredDataConnectors:\n\
                 - connectorId: AzureActiveDirectory\n  dataTypes:\n  - SigninLogs\n\
                 queryFrequency: 1h\n\
                 queryPeriod: 2h\n\
                 triggerOperator: gt\n\
                 triggerThreshold: 0\n\
                 tactics:\n- CredentialAccess\n\
                 relevantTechniques:\n- T1110.003\n\
                 query: |\n{}\
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
                    "requiredDataConnectors",
                    "queryFrequency",
                    "queryPeriod",
                    "triggerOperator",
                    "triggerThreshold",
                    "tactics",
                    "relevantTechniques",
                    "query",
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
                "tags attack.t1078",
                "windows.process_creation",
                "    match Image endswith \"\\\\x.exe\"",
            ),
        );
        let v: serde_json::Value = serde_json::from_str(&a.text).expect("json");
        let t = &v["detectionAction"]["alertTemplate"];
        assert_eq!(t["category"], "SuspiciousActivity");
        assert_eq!(t["severity"], "low");
        assert_eq!(t["mitreTechniques"], serde_json::json!(["T1078"]));
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
}
