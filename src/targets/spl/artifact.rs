//! The deployable artifact on the spl target (`tripline compile --artifact`): a
//! `savedsearches.conf` stanza for a Splunk Enterprise Security correlation search.
//!
//! ```text
//! [tripline - <title> - Rule]
//! search = <line 1 of the SPL>\
//! <line 2>\
//! <last line>
//! cron_schedule = 0 * * * *
//! dispatch.earliest_time = -70m@m
//! dispatch.latest_time = -10m@m
//! enableSched = 1
//! disabled = 1                                  (a `status deprecated` rule only)
//! counttype = number of events
//! relation = greater than
//! quantity = 0
//! alert.suppress = 1                            (threshold rules only, see below)
//! alert.suppress.fields = <by fields>,window_start
//! alert.suppress.period = <3 × window>s
//! action.correlationsearch.enabled = 1
//! action.correlationsearch.label = <title>
//! action.correlationsearch.annotations = {"mitre_attack": ["T1110.003"]}
//! action.notable = 1
//! action.notable.param.rule_title = <title>
//! action.notable.param.severity = <level>
//! ```
//!
//! The rule's ATT&CK tags must agree with ATT&CK's table ([`attack::check_artifact`]).
//!
//! # Suppression
//! A threshold search looks back two windows and sees the windows at the edges of its range in
//! part, so one (group, window) result appears in several successive runs. The stanza
//! suppresses alerts on the group's fields and `window_start` for three windows, longer than
//! any window stays in a run's range: each window's group alerts once, and the next window's
//! (another `window_start`) is not suppressed.
//!
//! # Line breaks
//! A `.conf` value ends at the end of its line unless the line ends with a backslash, so
//! every line of the query but the last ends with `\`; the value is the lines joined with
//! line breaks (every line of the SPL after the first starts with `|` or blanks, so it
//! means the same if a reader joined them with nothing). The stanza is refused
//! (`tripline::target::unsupported`) when a line of the query already ends with a backslash
//! (it would swallow the line break) or the query holds a carriage return, and when the
//! title holds `[`, `]` or a control character (it is the stanza name and a value) or ends
//! with a backslash.
//!
//! # Schedule
//! Cron schedules are uniform only for periods that divide an hour or a day, so a rule runs
//! every *P*, the longest such period (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes; 1, 2,
//! 3, 4, 6, 8 or 12 hours; a day) not longer than its interval. Searches end 10 minutes ago
//! (`-10m@m`) to let events arrive, except first-seen searches, whose range is `now`-based.
//! Durations are rounded up to whole minutes unless said otherwise.
//! - a rule without a stage: hourly, over `-70m@m` to `-10m@m`;
//! - `threshold ... window W`: every *P* ≤ `W`, over the last `W` (`-<W+10>m@m`). Windows
//!   are aligned to the epoch and runs are not, so a run sees the windows at the edges of
//!   its range in part (see the notes of `spl/stage.rs`);
//! - `sequence ... within T`: every *P* ≤ `T`, over the last `T + P`, so every chain lies
//!   wholly in the range of the first run after it ends;
//! - `new ... baseline B window W`: every *P* ≤ `W` (rounded down to whole minutes, so that
//!   successive detection windows leave no gap), over `-<B+W+1>s` to `now`, the range the
//!   query's own time modifiers read. A window under one minute is refused.

use crate::ir::{self, Stage};
use crate::targets::Construct;
use crate::targets::{attack, unsupported, Artifact, Ctx, TargetError};

use super::TARGET;

/// Cron periods, in minutes, that divide an hour or a day (so the runs are evenly spaced).
const CRON_PERIODS: &[u64] = &[
    1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440,
];

/// How long a search waits for events to arrive, in minutes.
const LAG: u64 = 10;

/// The longest evenly spaced cron period not longer than `minutes` (at least one minute).
fn cron_period(minutes: u64) -> u64 {
    CRON_PERIODS
        .iter()
        .copied()
        .rfind(|p| *p <= minutes)
        .unwrap_or(1)
}

/// The cron expression for a period from [`CRON_PERIODS`].
fn cron(period: u64) -> String {
    match period {
        1 => "* * * * *".to_string(),
        p if p < 60 => format!("*/{p} * * * *"),
        60 => "0 * * * *".to_string(),
        p if p < 1440 => format!("0 */{} * * *", p / 60),
        _ => "0 0 * * *".to_string(),
    }
}

/// `(cron_schedule, dispatch.earliest_time, dispatch.latest_time)`, or why there is none.
fn schedule(stage: Option<&Stage>) -> Result<(String, String, String), String> {
    let up = |d: ir::Duration| d.seconds.div_ceil(60);
    let lagged = |range: u64, period: u64| {
        Ok((
            cron(period),
            format!("-{}m@m", range + LAG),
            format!("-{LAG}m@m"),
        ))
    };
    match stage {
        None => lagged(60, 60),
        Some(Stage::Threshold { window, .. }) => {
            // Look back two windows so that every (epoch-aligned) window is seen whole by
            // the first run after it ends.
            let w = up(*window).max(1);
            lagged(2 * w, cron_period(w))
        }
        Some(Stage::Sequence { within, .. }) => {
            let t = up(*within);
            let p = cron_period(t);
            lagged(t + p, p)
        }
        Some(Stage::FirstSeen {
            baseline, window, ..
        }) => {
            let w = window.seconds / 60;
            if w == 0 {
                return Err(format!(
                    "the detection window is {}, and a scheduled search runs at most every \
                     minute: successive windows would leave gaps",
                    window.text()
                ));
            }
            Ok((
                cron(cron_period(w)),
                format!("-{}s", baseline.seconds + window.seconds + 1),
                "now".to_string(),
            ))
        }
    }
}

/// The `alert.suppress*` lines of a threshold rule: a run looks back two windows (and sees
/// windows at the edges of its range in part), so one window's group appears in several
/// successive runs; suppressing on the group's fields and `window_start` for three windows
/// (longer than any window stays in a run's range) lets each (group, window) alert once.
/// Other rules get none.
fn suppression(stage: Option<&Stage>) -> String {
    let Some(Stage::Threshold { by, window, .. }) = stage else {
        return String::new();
    };
    let mut fields: Vec<&str> = Vec::new();
    for f in by {
        if !fields.contains(&f.name.as_str()) {
            fields.push(&f.name);
        }
    }
    fields.push("window_start");
    format!(
        "alert.suppress = 1\n\
         alert.suppress.fields = {}\n\
         alert.suppress.period = {}s\n",
        fields.join(","),
        3 * window.seconds.max(60).div_ceil(60) * 60
    )
}

/// The stanzas that share a name with an earlier one (`[tripline - <title> - Rule]`: two
/// rules of one title), each refused naming the earlier rule: in one `savedsearches.conf`
/// the later stanza's keys would merge into the earlier's.
pub(super) fn collisions(artifacts: &[(&ir::Rule, &Artifact)]) -> Vec<(usize, TargetError)> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut out = Vec::new();
    for (i, (rule, a)) in artifacts.iter().enumerate() {
        let name = a.text.lines().next().unwrap_or_default();
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, other)) => out.push((
                i,
                TargetError::ArtifactCollision {
                    target: TARGET.to_string(),
                    rule: rule.name.clone(),
                    other: other.to_string(),
                    what: format!("the stanza {name}"),
                    span: rule.span.into(),
                },
            )),
            None => seen.push((name, &rule.name)),
        }
    }
    out
}

/// SPL's refusal of a stanza (the query itself compiled).
fn refuse(construct: &str, span: ir::Span, reason: String, help: &str) -> Vec<TargetError> {
    let kind = Construct::Artifact;
    vec![unsupported(
        TARGET,
        kind,
        construct,
        span,
        &reason,
        Some(help),
    )]
}

/// The `savedsearches.conf` stanza for a rule compiled to `query`.
pub(super) fn stanza(
    rule: &ir::Rule,
    query: &str,
    ctx: &Ctx,
) -> Result<Artifact, Vec<TargetError>> {
    attack::check_artifact(rule, ctx, TARGET)?;
    let title = &rule.meta.title;
    if let Some(c) = title
        .chars()
        .find(|c| matches!(c, '[' | ']') || c.is_control())
    {
        return Err(refuse(
            "a savedsearches.conf stanza for this title",
            rule.span,
            format!(
                "the title names the stanza `[tripline - <title> - Rule]` and is a value on \
                 one line, which cannot hold {c:?}"
            ),
            "change the title",
        ));
    }
    if title.ends_with('\\') {
        return Err(refuse(
            "a savedsearches.conf stanza for this title",
            rule.span,
            "a value ending with a backslash continues on the next line of the file".into(),
            "change the title",
        ));
    }
    let body = query.strip_suffix('\n').unwrap_or(query);
    let lines: Vec<&str> = body.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let reason = if line.ends_with('\\') {
            "ends with a backslash, which savedsearches.conf reads as a line continuation"
        } else if line.contains('\r') {
            "holds a carriage return, which savedsearches.conf reads as a line break"
        } else {
            continue;
        };
        return Err(refuse(
            "a savedsearches.conf stanza for this query",
            rule.span,
            format!("line {} of the query {reason}", i + 1),
            "compile the bare query (without --artifact) and save it by hand",
        ));
    }
    let (cron_schedule, earliest, latest) = schedule(rule.stage.as_ref()).map_err(|reason| {
        refuse(
            "a scheduled search for this stage",
            rule.stage.as_ref().map_or(rule.span, Stage::span),
            reason,
            "compile the bare query (without --artifact) and schedule it by hand",
        )
    })?;
    let techniques: Vec<String> = attack::techniques(&rule.meta)
        .iter()
        .map(|t| serde_json::Value::from(t.as_str()).to_string())
        .collect();
    let annotations = format!("{{\"mitre_attack\": [{}]}}", techniques.join(", "));
    // A deprecated rule is published disabled.
    let disabled = if rule.meta.status == "deprecated" {
        "disabled = 1\n"
    } else {
        ""
    };
    let suppress = suppression(rule.stage.as_ref());
    let text = format!(
        "[tripline - {title} - Rule]\n\
         search = {search}\n\
         cron_schedule = {cron_schedule}\n\
         dispatch.earliest_time = {earliest}\n\
         dispatch.latest_time = {latest}\n\
         enableSched = 1\n\
         {disabled}\
         counttype = number of events\n\
         relation = greater than\n\
         quantity = 0\n\
         {suppress}\
         action.correlationsearch.enabled = 1\n\
         action.correlationsearch.label = {title}\n\
         action.correlationsearch.annotations = {annotations}\n\
         action.notable = 1\n\
         action.notable.param.rule_title = {title}\n\
         action.notable.param.severity = {severity}\n",
        search = lines.join("\\\n"),
        severity = rule.meta.level,
    );
    Ok(Artifact {
        extension: "conf",
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
    description "Detects MailItemsAccessed records from an unexpected application."
    source m365.audit
    match Operation == "MailItemsAccessed" and AppId not in ["00000003-0000-0000-c000-000000000000"]
}
"#;

    use crate::targets::test_fixtures::SPRAY;

    /// `(bare query, artifact)` or the refusals.
    fn build(text: &str) -> Result<(String, Artifact), Vec<TargetError>> {
        let opts = Options::new("spl", None)
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

    fn artifact(text: &str) -> (String, Artifact) {
        build(text).unwrap_or_else(|e| panic!("refused: {e:?}"))
    }

    fn refusal(text: &str) -> (String, String) {
        match build(text) {
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

    /// The stanza's keys and values (continuations joined), as Splunk reads them.
    fn parse(conf: &str) -> (String, Vec<(String, String)>) {
        let mut lines = conf.lines();
        let head = lines.next().expect("stanza name");
        let name = head
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .expect("[name]")
            .to_string();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut cont = false;
        for line in lines {
            if cont {
                let last = &mut out.last_mut().expect("a key").1;
                last.push('\n');
                last.push_str(line.strip_suffix('\\').unwrap_or(line));
            } else {
                let (k, v) = line.split_once(" = ").expect("key = value");
                out.push((k.to_string(), v.strip_suffix('\\').unwrap_or(v).to_string()));
            }
            cont = line.ends_with('\\');
        }
        assert!(!cont, "dangling continuation");
        (name, out)
    }

    #[test]
    fn single_event_stanza() {
        let (query, a) = artifact(STORM);
        assert_eq!(a.extension, "conf");
        assert_eq!(
            query,
            "index=o365 sourcetype=\"o365:management:activity\"\n    \
             Operation=\"MailItemsAccessed\"\n    \
             NOT AppId=\"00000003-0000-0000-c000-000000000000\"\n"
        );
        assert_eq!(
            a.text,
            "[tripline - Mail Items Accessed By Unexpected Application - Rule]\n\
             search = index=o365 sourcetype=\"o365:management:activity\"\\\n    \
             Operation=\"MailItemsAccessed\"\\\n    \
             NOT AppId=\"00000003-0000-0000-c000-000000000000\"\n\
             cron_schedule = 0 * * * *\n\
             dispatch.earliest_time = -70m@m\n\
             dispatch.latest_time = -10m@m\n\
             enableSched = 1\n\
             counttype = number of events\n\
             relation = greater than\n\
             quantity = 0\n\
             action.correlationsearch.enabled = 1\n\
             action.correlationsearch.label = Mail Items Accessed By Unexpected Application\n\
             action.correlationsearch.annotations = {\"mitre_attack\": [\"T1114.002\", \"T1606\"]}\n\
             action.notable = 1\n\
             action.notable.param.rule_title = Mail Items Accessed By Unexpected Application\n\
             action.notable.param.severity = critical\n"
        );
    }

    #[test]
    fn threshold_stanza() {
        let (query, a) = artifact(SPRAY);
        let search: String = query
            .strip_suffix('\n')
            .expect("newline")
            .replace('\n', "\\\n");
        assert_eq!(
            a.text,
            format!(
                "[tripline - Password Spray: one address - Rule]\n\
                 search = {search}\n\
                 cron_schedule = 0 * * * *\n\
                 dispatch.earliest_time = -130m@m\n\
                 dispatch.latest_time = -10m@m\n\
                 enableSched = 1\n\
                 counttype = number of events\n\
                 relation = greater than\n\
                 quantity = 0\n\
                 alert.suppress = 1\n\
                 alert.suppress.fields = IPAddress,window_start\n\
                 alert.suppress.period = 10800s\n\
                 action.correlationsearch.enabled = 1\n\
                 action.correlationsearch.label = Password Spray: one address\n\
                 action.correlationsearch.annotations = {{\"mitre_attack\": [\"T1110.003\"]}}\n\
                 action.notable = 1\n\
                 action.notable.param.rule_title = Password Spray: one address\n\
                 action.notable.param.severity = medium\n"
            )
        );
        assert!(search.contains("\\\n| eval window_start=floor(_time/3600)*3600\\\n"));
    }

    /// The stanza reads back: its `search`, continuations joined, is the query.
    #[test]
    fn stanza_reads_back() {
        for text in [STORM, SPRAY] {
            let (query, a) = artifact(text);
            let (name, kv) = parse(&a.text);
            assert!(name.starts_with("tripline - "));
            assert_eq!(kv[0].0, "search");
            assert_eq!(format!("{}\n", kv[0].1), query);
            // A threshold rule has the three alert.suppress keys besides.
            let suppress = if text == SPRAY { 3 } else { 0 };
            assert_eq!(kv.len(), 14 + suppress);
        }
    }

    fn rule_with(title: &str, body: &str) -> String {
        format!(
            "condition a = ResultType == 50126\ncondition b = ResultType == 0\n\
             rule r {{ title \"{title}\" id 9b7f2a8e-2c61-4c52-9a0b-6a3f4d1e7c55 status test \
             level low date 2024-03-01 description \"Detects x.\"\n    source azure.signinlogs\n    \
             match ResultType exists\n{body} }}\n"
        )
    }

    fn times(body: &str) -> (String, String, String) {
        let (_, a) = artifact(&rule_with("R", body));
        let (_, kv) = parse(&a.text);
        let get = |k: &str| {
            kv.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .expect(k)
        };
        (
            get("cron_schedule"),
            get("dispatch.earliest_time"),
            get("dispatch.latest_time"),
        )
    }

    #[test]
    fn schedules() {
        let s = |c: &str, e: &str, l: &str| (c.to_string(), e.to_string(), l.to_string());
        let t = |w: &str| format!("    threshold count > 5 by IPAddress window {w}");
        // Threshold searches look back two windows (plus the lag), so each window is seen whole.
        assert_eq!(times(&t("1h")), s("0 * * * *", "-130m@m", "-10m@m"));
        assert_eq!(times(&t("15m")), s("*/15 * * * *", "-40m@m", "-10m@m"));
        assert_eq!(times(&t("7m")), s("*/6 * * * *", "-24m@m", "-10m@m"));
        assert_eq!(times(&t("30s")), s("* * * * *", "-12m@m", "-10m@m"));
        assert_eq!(times(&t("90m")), s("0 * * * *", "-190m@m", "-10m@m"));
        assert_eq!(times(&t("6h")), s("0 */6 * * *", "-730m@m", "-10m@m"));
        assert_eq!(times(&t("1d")), s("0 0 * * *", "-2890m@m", "-10m@m"));
        assert_eq!(times(&t("7d")), s("0 0 * * *", "-20170m@m", "-10m@m"));
        let q = |w: &str| format!("    sequence by UserPrincipalName within {w} [a, b]");
        assert_eq!(times(&q("30m")), s("*/30 * * * *", "-70m@m", "-10m@m"));
        assert_eq!(times(&q("2h")), s("0 */2 * * *", "-250m@m", "-10m@m"));
        let n = |b: &str, w: &str| format!("    new AppId baseline {b} window {w}");
        assert_eq!(
            times(&n("13d23h", "1h")),
            s("0 * * * *", "-1209601s", "now")
        );
        assert_eq!(times(&n("13d", "1d")), s("0 0 * * *", "-1209601s", "now"));
        assert_eq!(times(&n("1d", "90s")), s("* * * * *", "-86491s", "now"));
    }

    #[test]
    fn refusals() {
        for title in ["A [test] rule", "x]", "Tab\there", "Ends with \\\\"] {
            let (construct, reason) = refusal(&rule_with(title, ""));
            assert_eq!(
                construct, "a savedsearches.conf stanza for this title",
                "{title}"
            );
            assert!(!reason.is_empty());
        }
        let (construct, reason) = refusal(&rule_with("R", "    new AppId baseline 1d window 30s"));
        assert_eq!(construct, "a scheduled search for this stage");
        assert!(reason.contains("at most every minute"), "{reason}");
    }

    /// A query line ending in a backslash would swallow its line break: refused. (No rule
    /// compiles to such SPL today, so the check is exercised directly.)
    #[test]
    fn query_line_ending_in_backslash_is_refused() {
        let opts = Options::new("spl", None).expect("options");
        let rule = rule_of(SPRAY);
        let catalog = crate::catalog::Catalog::builtin();
        let src = &catalog.sources["azure.signinlogs"];
        let ctx = Ctx {
            source: src,
            source_name: "azure.signinlogs",
            opts: &opts.target_opts,
            catalog_key: "spl",
        };
        for (query, line) in [
            ("index=x \\\n| where a=1\n", 1),
            ("index=x\n| where a=1 \\\n| table a\n", 2),
            ("index=x\n| where a=\"\\\\\"\\\n", 2),
        ] {
            let es = stanza(&rule, query, &ctx).expect_err(query);
            match &es[0] {
                TargetError::Unsupported {
                    construct, reason, ..
                } => {
                    assert_eq!(construct, "a savedsearches.conf stanza for this query");
                    assert!(
                        reason.starts_with(&format!("line {line} of the query ends with")),
                        "{reason}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        let es = stanza(&rule, "index=x\r\n| table a\n", &ctx).expect_err("cr");
        assert!(format!("{es:?}").contains("carriage return"));
        // A backslash inside a line is fine.
        assert!(stanza(&rule, "index=x a=\"\\\\\" b=1\n", &ctx).is_ok());
    }

    fn rule_of(text: &str) -> ir::Rule {
        let prog = driver::Program::from_texts(
            vec![(std::path::PathBuf::from("<input>.trip"), text.to_string())],
            &|p| std::fs::read_to_string(p),
        );
        let checked = driver::check_program(&prog, &crate::catalog::Catalog::builtin());
        checked.rules[0].1.clone()
    }

    #[test]
    fn deprecated_rules_are_disabled_stanzas() {
        let (_, a) = artifact(&STORM.replace("status      experimental", "status      deprecated"));
        let (_, kv) = parse(&a.text);
        assert!(
            kv.contains(&("disabled".to_string(), "1".to_string())),
            "{kv:?}"
        );
        let (_, a) = artifact(STORM);
        assert!(!a.text.contains("disabled"));
    }

    #[test]
    fn stanzas_refuse_mismatched_attack_tags() {
        use miette::Diagnostic;
        let es = build(&STORM.replace("attack.t1606", "attack.t1027")).expect_err("refused");
        assert_eq!(
            es[0].code().map(|c| c.to_string()).as_deref(),
            Some("tripline::target::attack_mismatch")
        );
    }

    #[test]
    fn two_rules_of_one_title_collide() {
        use miette::Diagnostic;
        let second = STORM.replace("rule storm", "rule storm_again").replace(
            "dcb83a84-e326-47fc-902a-4edf70cb9231",
            "0f3c2b4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f",
        );
        let text = format!("{STORM}\n{second}");
        let opts = Options::new("spl", None)
            .expect("options")
            .with_artifact(true);
        let out = driver::compile(&text, &opts);
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let d = &out.diagnostics[0];
        assert_eq!(d.code(), "tripline::target::artifact_collision");
        assert_eq!(
            d.error.to_string(),
            "spl: rule `storm_again` is published as the stanza [tripline - Mail Items Accessed \
             By Unexpected Application - Rule], as rule `storm` is"
        );
        assert!(d
            .error
            .help()
            .expect("help")
            .to_string()
            .contains("another title"));
        // The first is published, the second refused.
        assert_eq!(out.outputs.len(), 1);
        assert_eq!(out.outputs[0].rule, "storm");
        // Without --artifact there is nothing to collide.
        let out = driver::compile(&text, &Options::new("spl", None).expect("options"));
        assert!(out.diagnostics.is_empty());
        assert_eq!(out.outputs.len(), 2);
    }
}
