//! Invariants of the built-in catalog (`src/catalog/builtin.yml`) and its agreement with
//! the KQL table schemas in `tests/conformance/schemas/kql.json` and with the Storm-0558 field
//! table in `shared/reference/storm-0558.md`.

use std::collections::BTreeMap;

use tripline::catalog::{Catalog, FieldMap, FieldType, Mapped, Source};

/// The target keys a catalog may use.
const TARGET_KEYS: &[&str] = &["kql.sentinel", "kql.defender", "spl", "sigma"];

/// The sources the built-in catalog must have, with their Sigma logsource.
const SOURCES: &[(&str, &[(&str, &str)])] = &[
    ("m365.audit", &[("product", "m365"), ("service", "audit")]),
    (
        "azure.signinlogs",
        &[("product", "azure"), ("service", "signinlogs")],
    ),
    (
        "azure.auditlogs",
        &[("product", "azure"), ("service", "auditlogs")],
    ),
    (
        "windows.process_creation",
        &[("category", "process_creation"), ("product", "windows")],
    ),
    (
        "windows.network_connection",
        &[("category", "network_connection"), ("product", "windows")],
    ),
    (
        "windows.process_access",
        &[("category", "process_access"), ("product", "windows")],
    ),
];

fn catalog() -> Catalog {
    Catalog::builtin()
}

fn source<'a>(cat: &'a Catalog, name: &str) -> &'a Source {
    cat.sources
        .get(name)
        .unwrap_or_else(|| panic!("source `{name}` missing from the built-in catalog"))
}

fn col(name: &str) -> Result<Mapped, String> {
    Ok(Mapped::Column(name.to_string()))
}

fn expr(text: &str) -> Result<Mapped, String> {
    Ok(Mapped::Expr(text.to_string()))
}

/// Table name -> column name -> KQL type, from `tests/conformance/schemas/kql.json`.
fn kql_schemas() -> BTreeMap<String, BTreeMap<String, String>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/schemas/kql.json"
    );
    let text = std::fs::read_to_string(path).expect("read kql.json");
    let raw: BTreeMap<String, String> = serde_json::from_str(&text).expect("kql.json is a map");
    let mut out = BTreeMap::new();
    for (table, schema) in raw {
        let inner = schema
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or_else(|| panic!("schema of {table} is not (Col:type, ...)"));
        let mut cols = BTreeMap::new();
        for part in inner.split(',') {
            let (c, t) = part
                .trim()
                .split_once(':')
                .unwrap_or_else(|| panic!("bad column `{part}` in {table}"));
            assert!(
                cols.insert(c.trim().to_string(), t.trim().to_string())
                    .is_none(),
                "column {c} twice in {table}"
            );
        }
        out.insert(table, cols);
    }
    out
}

/// KQL types that hold a value of the language type `ty` without conversion.
fn kql_types_for(ty: FieldType) -> &'static [&'static str] {
    match ty {
        FieldType::String | FieldType::Ip | FieldType::Json => &["string"],
        FieldType::Number => &["int", "long", "real", "decimal"],
        FieldType::Bool => &["bool"],
    }
}

#[test]
fn builtin_catalog_loads_and_has_every_source() {
    let cat = catalog();
    for (name, logsource) in SOURCES {
        let src = source(&cat, name);
        let got: Vec<(&str, &str)> = src
            .logsource
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut want: Vec<(&str, &str)> = logsource.to_vec();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "logsource of {name}");
    }
}

#[test]
fn every_source_is_complete() {
    let cat = catalog();
    assert!(cat.sources.len() >= 32, "{} sources", cat.sources.len());
    for (name, src) in &cat.sources {
        assert!(src.description.len() > 20, "{name}: description too short");
        assert!(!src.logsource.is_empty(), "{name}: no logsource");
        assert!(!src.fields.is_empty(), "{name}: no fields");
        assert!(src.recognize.is_some(), "{name}: no recognize");
        if let Some(ts) = src.timestamp.as_deref() {
            assert!(
                matches!(
                    src.field_type(ts),
                    Some(FieldType::String | FieldType::Number)
                ),
                "{name}: timestamp field"
            );
        }
        for key in ["kql.sentinel", "kql.defender", "spl"] {
            assert!(src.targets.contains_key(key), "{name}: no `{key}` section");
        }
    }
    // Every recognize predicate parses and checks against its own source.
    let problems = tripline::driver::recognizer_problems(&cat, |_| true);
    let msgs: Vec<String> = problems.iter().map(|d| d.error.to_string()).collect();
    assert!(msgs.is_empty(), "{msgs:#?}");
}

#[test]
fn every_target_section_has_a_table_or_base_search() {
    let cat = catalog();
    for (name, src) in &cat.sources {
        for (key, t) in &src.targets {
            assert!(
                TARGET_KEYS.contains(&key.as_str()),
                "{name}: unknown target key `{key}`"
            );
            if let Some(why) = &t.unavailable {
                assert!(why.len() > 10, "{name} {key}: say why it is unavailable");
                continue;
            }
            assert!(
                t.timestamp.is_some() || key == "sigma",
                "{name} {key}: no timestamp"
            );
            if key.starts_with("kql.") {
                let table = t
                    .table
                    .as_deref()
                    .unwrap_or_else(|| panic!("{name} {key}: no table"));
                assert!(
                    table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{name} {key}: table `{table}` is not a plain name"
                );
                assert!(
                    t.base.is_none() && t.index.is_none(),
                    "{name} {key}: SPL keys"
                );
            }
            if key == "spl" {
                let base = t
                    .base
                    .as_deref()
                    .unwrap_or_else(|| panic!("{name} spl: no base search"));
                assert!(
                    base.contains("{index}")
                        || base.starts_with("| datamodel")
                        || base.starts_with("| tstats")
                        || base.contains("tag="),
                    "{name} spl: base `{base}` names no index"
                );
                assert_eq!(t.timestamp.as_deref(), Some("_time"), "{name} spl");
                assert!(t.table.is_none(), "{name} spl: has a table");
            }
        }
    }
}

#[test]
fn every_mapping_is_well_formed() {
    let cat = catalog();
    for (name, src) in &cat.sources {
        for (key, t) in &src.targets {
            for (field, m) in &t.fields {
                let FieldMap::Full(full) = m else { continue };
                let what = format!("{name} {key} {field}");
                match (&full.expr, &full.unavailable) {
                    (Some(_), Some(_)) => panic!("{what}: both expr and unavailable"),
                    (None, None) => assert!(full.column.is_some(), "{what}: empty mapping"),
                    (None, Some(why)) => {
                        assert!(why.len() > 10, "{what}: say why it is unavailable");
                        assert!(src.map_field(key, field).is_err(), "{what}");
                    }
                    (Some(e), None) => {
                        if t.unavailable.is_none() {
                            assert_eq!(src.map_field(key, field), expr(e), "{what}");
                        }
                        // An expression reads its column, or is a constant (a value every row
                        // the section selects has).
                        let constant = e.parse::<f64>().is_ok()
                            || (e.starts_with('"')
                                && e.ends_with('"')
                                && !e[1..e.len() - 1].contains('"'));
                        if let Some(c) = full.column.as_deref() {
                            assert!(
                                e.contains(c) || constant,
                                "{what}: expr does not read its column {c}"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Every KQL table the catalog uses is in kql.json, every column a mapping reads is there,
/// and a column used as the field's value directly has the field's type.
#[test]
fn kql_mappings_agree_with_the_table_schemas() {
    let cat = catalog();
    let schemas = kql_schemas();
    for (name, src) in &cat.sources {
        for (key, t) in src
            .targets
            .iter()
            .filter(|(k, t)| k.starts_with("kql.") && t.unavailable.is_none())
        {
            let table = t.table.as_deref().unwrap();
            let cols = schemas
                .get(table)
                .unwrap_or_else(|| panic!("{name} {key}: table {table} not in kql.json"));
            let ts = t.timestamp.as_deref().unwrap();
            assert_eq!(
                cols.get(ts).map(String::as_str),
                Some("datetime"),
                "{name} {key}: time column {ts}"
            );
            for (field, def) in &src.fields {
                let what = format!("{name} {key} {field}");
                let (column, direct) = match t.fields.get(field) {
                    None => match &t.template {
                        Some(tpl) if tpl.by_type.contains_key(&def.ty()) => {
                            (tpl.column.as_deref(), false)
                        }
                        _ => (Some(field.as_str()), true),
                    },
                    Some(FieldMap::Column(c)) => (Some(c.as_str()), true),
                    Some(FieldMap::Full(f)) => (
                        f.column.as_deref(),
                        f.expr.is_none() && f.unavailable.is_none(),
                    ),
                };
                if let Some(c) = column {
                    let ty = cols
                        .get(c)
                        .unwrap_or_else(|| panic!("{what}: column {c} not in {table}"));
                    if direct {
                        assert!(
                            kql_types_for(def.ty()).contains(&ty.as_str()),
                            "{what}: column {c} is {ty}, the field is {}",
                            def.ty().name()
                        );
                    }
                }
            }
        }
    }
}

/// Sysmon on Sentinel comes from WindowsEvent, which holds every Windows event: the rows
/// are selected by the source's own `recognize` (channel and event id), compiled for the
/// table, and every field reads Sysmon's EventData key of the same name (or a column).
#[test]
fn sysmon_on_windows_event_is_selected_by_recognize() {
    let cat = catalog();
    for (name, eid) in [
        ("windows.process_creation", 1),
        ("windows.network_connection", 3),
        ("windows.process_access", 10),
    ] {
        let src = source(&cat, name);
        let t = &src.targets["kql.sentinel"];
        assert_eq!(t.table.as_deref(), Some("WindowsEvent"));
        assert!(t.recognize && t.filter.is_none(), "{name}: selection");
        assert_eq!(
            src.recognize.as_ref().map(|r| r.text.as_str()),
            Some(
                format!("Channel == \"Microsoft-Windows-Sysmon/Operational\" and EventID == {eid}")
                    .as_str()
            )
        );
        for (field, def) in &src.fields {
            let got = src.map_field("kql.sentinel", field);
            if ["Computer", "Channel", "EventID"].contains(&field.as_str()) {
                assert_eq!(got, col(field), "{name} {field}");
                continue;
            }
            if field == "Provider_Name" {
                assert_eq!(got, col("Provider"), "{name} {field}");
                continue;
            }
            let want = match def.ty() {
                // Numbers accept exactly the language's numeric text.
                FieldType::Number => format!(
                    "iff(tostring(EventData.{field}) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(EventData.{field}), real(null))"
                ),
                FieldType::Bool => format!("tobool(EventData.{field})"),
                _ => format!("tostring(EventData.{field})"),
            };
            assert_eq!(got, expr(&want), "{name} {field}");
        }
        let spl = t_base(src);
        assert!(spl.ends_with(&format!("EventCode={eid}")), "{name}: {spl}");
    }
}

/// KQL tables that hold more than one source's rows select them (a row filter or the
/// source's `recognize`), and no field mapping repeats the selection as a per-field gate.
#[test]
fn shared_kql_tables_select_their_rows() {
    let cat = catalog();
    let shared = [
        ("windows.process_creation", "kql.sentinel"),
        ("windows.network_connection", "kql.sentinel"),
        ("windows.process_access", "kql.sentinel"),
        ("windows.network_connection", "kql.defender"),
        ("windows.process_access", "kql.defender"),
        ("m365.audit", "kql.defender"),
        ("azure.auditlogs", "kql.defender"),
        ("azure.signinlogs", "kql.defender"),
    ];
    for (name, key) in shared {
        let t = &source(&cat, name).targets[key];
        assert!(
            t.recognize || t.filter.as_deref().is_some_and(|f| !f.trim().is_empty()),
            "{name} {key}: no row selection"
        );
    }
    for (name, src) in &cat.sources {
        for (key, t) in &src.targets {
            if !key.starts_with("kql.") {
                assert!(t.filter.is_none(), "{name} {key}: filter is KQL only");
            }
        }
    }
    // Defender's device tables hold every operating system's events: a source of one
    // operating system keeps its devices' rows.
    for (name, src) in &cat.sources {
        let Some(t) = src.targets.get("kql.defender") else {
            continue;
        };
        let os = ["windows.", "linux.", "macos."]
            .iter()
            .any(|p| name.starts_with(p));
        let device_table = matches!(
            t.table.as_deref(),
            Some("DeviceProcessEvents" | "DeviceFileEvents" | "DeviceNetworkEvents")
        );
        if os && device_table && t.unavailable.is_none() {
            assert!(
                t.filter
                    .as_deref()
                    .is_some_and(|f| f.contains("DeviceInfo")),
                "{name}: DeviceInfo OS filter missing: {:?}",
                t.filter
            );
        }
    }
    let d = &source(&cat, "azure.auditlogs").targets["kql.defender"];
    assert!(
        d.filter
            .as_deref()
            .unwrap()
            .contains("\"AzureActiveDirectory\""),
        "{:?}",
        d.filter
    );
}

fn t_base(src: &Source) -> &str {
    src.targets["spl"].base.as_deref().unwrap()
}

/// The Storm-0558 fields (storm-0558.md, "The same fields on each platform").
#[test]
fn storm_0558_fields_map_as_the_reference_says() {
    let cat = catalog();
    let src = source(&cat, "m365.audit");

    for (field, ty) in [
        ("CreationTime", FieldType::String),
        ("Operation", FieldType::String),
        ("Workload", FieldType::String),
        ("UserId", FieldType::String),
        ("AppId", FieldType::String),
        ("ClientAppId", FieldType::String),
        ("ClientIPAddress", FieldType::Ip),
        ("MailboxOwnerUPN", FieldType::String),
        ("MailboxGuid", FieldType::String),
        ("LogonType", FieldType::Number),
        ("InternalLogonType", FieldType::Number),
        ("OperationCount", FieldType::Number),
        ("RecordType", FieldType::Number),
        ("ExternalAccess", FieldType::Bool),
    ] {
        assert_eq!(src.field_type(field), Some(ty), "type of {field}");
    }
    assert_eq!(src.timestamp.as_deref(), Some("CreationTime"));

    // Sentinel: OfficeActivity.
    let s = "kql.sentinel";
    assert_eq!(src.targets[s].table.as_deref(), Some("OfficeActivity"));
    assert_eq!(src.targets[s].timestamp.as_deref(), Some("TimeGenerated"));
    assert_eq!(src.map_field(s, "Operation"), col("Operation"));
    assert_eq!(src.map_field(s, "Workload"), col("OfficeWorkload"));
    assert_eq!(src.map_field(s, "UserId"), col("UserId"));
    assert_eq!(src.map_field(s, "AppId"), col("AppId"));
    assert_eq!(src.map_field(s, "ClientAppId"), col("ClientAppId"));
    assert_eq!(src.map_field(s, "ClientIPAddress"), col("Client_IPAddress"));
    assert_eq!(src.map_field(s, "MailboxOwnerUPN"), col("MailboxOwnerUPN"));
    assert_eq!(src.map_field(s, "MailboxGuid"), col("MailboxGuid"));
    assert_eq!(src.map_field(s, "LogonType"), expr("iff(tostring(Logon_Type) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(Logon_Type), real(null))"));
    assert_eq!(
        src.map_field(s, "InternalLogonType"),
        col("InternalLogonType")
    );
    assert_eq!(
        src.map_field(s, "OperationProperties"),
        expr("tostring(OperationProperties)")
    );
    assert_eq!(
        src.map_field(s, "CreationTime"),
        expr("substring(tostring(TimeGenerated), 0, 19)")
    );

    // Defender XDR: CloudAppEvents.
    let d = "kql.defender";
    assert_eq!(src.targets[d].table.as_deref(), Some("CloudAppEvents"));
    assert_eq!(src.targets[d].timestamp.as_deref(), Some("Timestamp"));
    assert_eq!(src.map_field(d, "Operation"), col("ActionType"));
    assert_eq!(
        src.map_field(d, "AppId"),
        expr("tostring(RawEventData.AppId)")
    );
    assert_eq!(
        src.map_field(d, "ClientAppId"),
        expr("tostring(RawEventData.ClientAppId)")
    );
    assert_eq!(src.map_field(d, "ClientIPAddress"), col("IPAddress"));
    assert_eq!(
        src.map_field(d, "MailboxOwnerUPN"),
        expr("tostring(RawEventData.MailboxOwnerUPN)")
    );
    assert_eq!(
        src.map_field(d, "LogonType"),
        expr("iff(tostring(RawEventData.LogonType) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(RawEventData.LogonType), real(null))")
    );
    assert_eq!(
        src.map_field(d, "OperationProperties"),
        expr("tostring(RawEventData.OperationProperties)")
    );
    // The reference table lists Application for the service and AccountObjectId / AccountId /
    // AccountDisplayName for the actor as the *concepts* on CloudAppEvents. Their values are
    // not the Management API's ("Microsoft Exchange Online" is not "Exchange"; an object id
    // is not a UPN), so `Workload == "Exchange"` would never match there. The catalog reads
    // the API's own values from RawEventData instead.
    assert_eq!(
        src.map_field(d, "Workload"),
        expr("tostring(RawEventData.Workload)")
    );
    assert_eq!(
        src.map_field(d, "UserId"),
        expr("tostring(RawEventData.UserId)")
    );
    // ApplicationId is an integer Defender for Cloud Apps id, never the Entra GUID.
    for f in ["AppId", "ClientAppId"] {
        assert!(
            !matches!(src.map_field(d, f), Ok(Mapped::Column(ref c)) if c == "ApplicationId"),
            "{f} must not map to ApplicationId"
        );
    }

    // Splunk: o365:management:activity keeps the API's names.
    let base = t_base(src);
    assert!(
        base.contains("sourcetype=\"o365:management:activity\""),
        "{base}"
    );
    for f in [
        "CreationTime",
        "Operation",
        "Workload",
        "UserId",
        "AppId",
        "ClientAppId",
        "ClientIPAddress",
        "MailboxOwnerUPN",
        "LogonType",
    ] {
        assert_eq!(src.map_field("spl", f), col(f), "spl {f}");
    }
    // Sigma: the API's names, no mapping.
    for f in src.fields.keys() {
        assert_eq!(src.map_field("sigma", f), col(f), "sigma {f}");
    }
}

#[test]
fn unavailable_fields_give_the_catalogs_reason() {
    let cat = catalog();
    let src = source(&cat, "m365.audit");
    let why = src
        .map_field("kql.sentinel", "RecordType")
        .expect_err("RecordType is a name in OfficeActivity");
    assert!(why.contains("name"), "{why}");
    let pa = source(&cat, "windows.process_access");
    assert!(pa.map_field("kql.defender", "CallTrace").is_err());
}

/// Parameters and OperationProperties are JSON arrays, tested through their JSON text.
#[test]
fn m365_array_fields_are_json_and_read_their_json_text() {
    let cat = catalog();
    let src = source(&cat, "m365.audit");
    for f in ["Parameters", "OperationProperties"] {
        assert_eq!(src.field_type(f), Some(FieldType::Json), "type of {f}");
        assert_eq!(
            src.map_field("kql.defender", f),
            expr(&format!("tostring(RawEventData.{f})")),
            "defender {f}"
        );
        assert_eq!(
            src.map_field("spl", f),
            expr(&format!("json_extract(_raw, \"{f}\")")),
            "spl {f}"
        );
        assert_eq!(src.map_field("sigma", f), col(f), "sigma {f}");
    }
    // OfficeActivity.Parameters is already the JSON text (a string column);
    // OperationProperties is dynamic there.
    assert_eq!(
        src.map_field("kql.sentinel", "Parameters"),
        col("Parameters")
    );
    assert_eq!(
        src.map_field("kql.sentinel", "OperationProperties"),
        expr("tostring(OperationProperties)")
    );
}

#[test]
fn sign_in_and_process_fields_used_by_the_rule_library_are_mapped_everywhere() {
    let cat = catalog();
    let needs: &[(&str, &[&str])] = &[
        (
            "m365.audit",
            &[
                "Operation",
                "Workload",
                "AppId",
                "ClientAppId",
                "UserId",
                "ResultStatus",
            ],
        ),
        (
            "azure.signinlogs",
            &[
                "ClientAppUsed",
                "ResultType",
                "Status.errorCode",
                "UserPrincipalName",
                "IPAddress",
            ],
        ),
        ("azure.auditlogs", &["OperationName", "Result"]),
        (
            "windows.process_creation",
            &[
                "Image",
                "OriginalFileName",
                "CommandLine",
                "ParentImage",
                "User",
            ],
        ),
        (
            "windows.network_connection",
            &["Image", "Initiated", "DestinationIp", "DestinationPort"],
        ),
        (
            "windows.process_access",
            &["SourceImage", "TargetImage", "GrantedAccess"],
        ),
    ];
    for (name, fields) in needs {
        let src = source(&cat, name);
        for key in ["kql.sentinel", "kql.defender", "spl", "sigma"] {
            for f in *fields {
                assert!(src.field_type(f).is_some(), "{name}: no field {f}");
                assert!(
                    src.map_field(key, f).is_ok(),
                    "{name} {key} {f}: {:?}",
                    src.map_field(key, f)
                );
            }
        }
    }
}

#[test]
fn signin_enumerations_on_defender_are_turned_back_into_strings() {
    let cat = catalog();
    let src = source(&cat, "azure.signinlogs");
    let Ok(Mapped::Expr(e)) = src.map_field("kql.defender", "ConditionalAccessStatus") else {
        panic!("ConditionalAccessStatus must be an expression on Defender");
    };
    assert!(e.contains("\"notApplied\""), "{e}");
    // EntraIdSignInEvents also holds non-interactive sign-ins; the row filter keeps the
    // interactive ones, so the error code is the plain column.
    assert_eq!(
        src.targets["kql.defender"].filter.as_deref(),
        Some("LogonType has \"interactiveUser\"")
    );
    assert_eq!(
        src.map_field("kql.defender", "Status.errorCode"),
        col("ErrorCode")
    );
    assert_eq!(
        src.map_field("kql.sentinel", "Status.errorCode"),
        expr("iff(tostring(Status.errorCode) matches regex @\"^-?[0-9]+(\\.[0-9]+)?$\", toreal(Status.errorCode), real(null))")
    );
    assert_eq!(
        src.map_field("spl", "Status.errorCode"),
        col("properties.status.errorCode")
    );
}

/// The example of docs/catalog.md: a user catalog that adds one field to a built-in source
/// is five lines, and the field then compiles on every target.
#[test]
fn a_five_line_user_catalog_adds_a_field() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/catalog.md"))
        .expect("docs/catalog.md");
    let at = doc.find("is five lines").expect("the example's sentence");
    let start = doc[at..].find("```yaml\n").unwrap() + at + 8;
    let end = doc[start..].find("```").unwrap() + start;
    let user = &doc[start..end];
    assert_eq!(user.lines().count(), 5, "{user}");
    let cat = tripline::driver::load_catalog(Some((user, "user.yml"))).expect("valid");
    let src = source(&cat, "windows.process_creation");
    assert_eq!(src.field_type("SourceHost"), Some(FieldType::String));
    assert_eq!(
        src.map_field("kql.sentinel", "SourceHost"),
        expr("tostring(EventData.SourceHost)")
    );
    assert_eq!(src.map_field("spl", "SourceHost"), col("SourceHost"));
    // The rest of the source is the built-in one.
    let builtin = catalog();
    let b = source(&builtin, "windows.process_creation");
    assert_eq!(src.fields.len(), b.fields.len() + 1);
    assert_eq!(
        src.map_field("kql.defender", "CommandLine"),
        b.map_field("kql.defender", "CommandLine")
    );
}

#[test]
fn every_problem_of_a_catalog_file_is_coded_and_located() {
    let text = "\
sources:
  windows.process_creation:
    feilds: {X: string}
    targets:
      kql.sentinal: {table: T}
  my.source:
    description: 'a source of my own'
    logsource: {product: mine}
    fields:
      A: strng
      B: {type: string, entity: acount}
    targets:
      spl:
        base: 'index={index} sourcetype=mine'
        fields:
          A: [x, y]
          Nope: other
";
    let Err(diags) = tripline::driver::load_catalog(Some((text, "user.yml"))) else {
        panic!("accepted");
    };
    let got: Vec<(String, String)> = diags.iter().map(|d| (d.code(), d.render(false))).collect();
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "tripline::catalog::unknown_key",
            "tripline::catalog::unknown_target",
            "tripline::catalog::bad_value",
            "tripline::catalog::bad_value",
            "tripline::catalog::bad_value",
            "tripline::catalog::unknown_field",
        ],
        "{got:#?}"
    );
    let all: String = got.iter().map(|(_, r)| r.as_str()).collect();
    for needle in [
        "did you mean `fields`?",
        "did you mean `kql.sentinel`?",
        "did you mean `string`?",
        "did you mean `account`?",
        "a mapping is a column name",
        "user.yml:5:",
    ] {
        assert!(all.contains(needle), "{needle} missing from:\n{all}");
    }
}

/// The documented catalog choice for Sysmon on Sentinel (the `Event` table, event data as
/// XML): every rule of the library compiles with it, onto Event, with columns of its schema.
#[test]
fn the_sentinel_event_table_choice_compiles_the_library() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/catalog/variants/sentinel-sysmon-event.yml"
    );
    let text = std::fs::read_to_string(path).expect("variant");
    let cat = tripline::driver::load_catalog(Some((&text, path))).expect("valid");
    let schemas = kql_schemas();
    let event = &schemas["Event"];
    for (name, src) in cat
        .sources
        .iter()
        .filter(|(n, _)| n.starts_with("windows."))
    {
        let t = &src.targets["kql.sentinel"];
        if src
            .recognize
            .as_ref()
            .is_some_and(|r| r.text.contains("Sysmon/Operational"))
            && t.unavailable.is_none()
        {
            assert_eq!(t.table.as_deref(), Some("Event"), "{name}");
            for f in src.fields.keys() {
                if let Some(c) = src.column_of("kql.sentinel", f) {
                    if src.map_field("kql.sentinel", f).is_ok() {
                        assert!(event.contains_key(&c), "{name} {f}: {c} not in Event");
                    }
                }
            }
        }
    }
    let opts = tripline::driver::Options::new("kql", Some("sentinel"))
        .unwrap()
        .with_catalog(cat.clone());
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let out = tripline::driver::compile_paths(&[std::path::PathBuf::from("rules/windows")], &opts)
        .expect("rules");
    assert!(
        !out.failed(),
        "{:?}",
        out.diagnostics.iter().map(|d| d.code()).collect::<Vec<_>>()
    );
    // The rules on Sysmon sources (those whose recognizer names the Sysmon channel) land on
    // Event; the Security and PowerShell rules keep their own tables.
    let sysmon: Vec<&str> = cat
        .sources
        .iter()
        .filter(|(_, s)| {
            s.recognize
                .as_ref()
                .is_some_and(|r| r.text.contains("Sysmon/Operational"))
        })
        .map(|(n, _)| n.as_str())
        .collect();
    let mut on_event = 0;
    for o in &out.outputs {
        let text = std::fs::read_to_string(&o.path).expect("rule file");
        let source = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("source "))
            .expect("a source line")
            .trim();
        if sysmon.contains(&source) {
            assert!(o.text.starts_with("Event\n"), "{}: {source}", o.rule);
            on_event += 1;
        } else {
            assert!(
                !o.text.starts_with("Event\n") || source == "windows.system",
                "{}",
                o.rule
            );
        }
    }
    assert!(on_event >= 30, "{on_event} Sysmon rules on Event");
}
