//! The streaming hunting engine (`tripline::hunt`) against the reference: the plain
//! composition of router and evaluator in `tripline::testing::hunt`, over every event of
//! the rule library's tests. And the prefilter's soundness: it never rejects an event a
//! rule matches, however the event's JSON is written.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;

use tripline::catalog::Catalog;
use tripline::driver::{check_program, collect_inputs, Program};
use tripline::eval::Evaluator;
use tripline::hunt::input::{Block, Numbers};
use tripline::hunt::{self, Options, Plan};
use tripline::ir;
use tripline::testing::{cases_of, stream_events, Hit};

fn library() -> (Vec<ir::Rule>, Vec<Value>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = collect_inputs(&[root.join("rules")]).expect("rules/").files;
    let prog = Program::load(&files);
    let checked = check_program(&prog, &Catalog::builtin());
    assert!(checked.diagnostics.is_empty(), "rules/ checks cleanly");
    let mut events = Vec::new();
    let mut rules = Vec::new();
    for (f, rule) in checked.rules {
        let path = Path::new(&prog.files[f].display).to_path_buf();
        events.extend(cases_of(&rule, &path).0.into_iter().map(|c| c.event));
        for t in &rule.stream_tests {
            events.extend(stream_events(t, &path).expect("stream events"));
        }
        rules.push(rule);
    }
    (rules, events)
}

/// JSON Lines as blocks of about `size` bytes, split at line ends.
fn blocks(text: &str, size: usize) -> Vec<Result<Block, ()>> {
    let mut out = Vec::new();
    let mut first = 1u64;
    let mut cur = String::new();
    for line in text.split_inclusive('\n') {
        cur.push_str(line);
        if cur.len() >= size {
            let n = cur.matches('\n').count() as u64;
            out.push(Ok(block(std::mem::take(&mut cur), first)));
            first += n;
        }
    }
    if !cur.is_empty() {
        out.push(Ok(block(cur, first)));
    }
    out
}

fn block(text: String, first: u64) -> Block {
    Block {
        file: Arc::from("events.jsonl"),
        text,
        numbers: Numbers::From(first),
        bad: Vec::new(),
    }
}

/// (rule, line) per match and (rule, alert) per alert, as the engine writes them.
fn engine(rules: &[ir::Rule], text: &str, opts: &Options, block_size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let (summary, errors) = hunt::run(
        rules,
        &Catalog::builtin(),
        blocks(text, block_size).into_iter(),
        opts,
        &mut out,
        &mut |_| {},
    )
    .expect("hunt runs");
    assert!(errors.is_empty());
    assert_eq!(summary.bad_lines(), 0);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            match v.get("alert") {
                Some(a) => format!("{} alert {a}", v["rule"]),
                None => format!("{} line {}", v["rule"], v["line"]),
            }
        })
        .collect()
}

fn reference(rules: &[ir::Rule], text: &str) -> Vec<String> {
    let (hits, bad) = tripline::testing::hunt(rules, text, &Catalog::builtin());
    assert!(bad.is_empty());
    hits.into_iter()
        .map(|h| match h {
            Hit::Event { rule, line, .. } => format!("{:?} line {line}", rule),
            Hit::Alert { rule, alert } => {
                format!("{:?} alert {}", rule, Value::Object(alert))
            }
        })
        .collect()
}

#[test]
fn the_engine_agrees_with_the_reference_over_the_library_events() {
    let (rules, events) = library();
    let text: String = events.iter().map(|e| e.to_string() + "\n").collect();
    let want = reference(&rules, &text);
    assert!(want.len() > 50, "the library's events match its rules");
    for threads in [1, 2] {
        for prefilter in [true, false] {
            for block_size in [1, 700, 1 << 20] {
                let opts = Options {
                    threads,
                    prefilter,
                    ..Options::default()
                };
                assert_eq!(
                    engine(&rules, &text, &opts, block_size),
                    want,
                    "threads {threads}, prefilter {prefilter}, blocks of {block_size} bytes"
                );
            }
        }
    }
}

#[test]
fn output_is_byte_identical_with_one_and_two_threads() {
    let (rules, events) = library();
    let text: String = events.iter().map(|e| e.to_string() + "\n").collect();
    let run = |threads, format| {
        let mut out = Vec::new();
        let opts = Options {
            threads,
            format,
            ..Options::default()
        };
        hunt::run(
            &rules,
            &Catalog::builtin(),
            blocks(&text, 300).into_iter(),
            &opts,
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        out
    };
    for f in [hunt::Format::Jsonl, hunt::Format::Csv, hunt::Format::Table] {
        let one = run(1, f);
        assert!(!one.is_empty());
        assert_eq!(one, run(2, f), "{f:?}");
    }
}

/// Write `v` as JSON, escaping characters as `\uXXXX` where `escape` says so, and with
/// the letters `k`, `s`, `i` of strings replaced by the non-ASCII letters that fold to them
/// where `exotic` says so.
fn write_json(v: &Value, escape: &mut impl Iterator<Item = bool>, style: Num, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                let plain = serde_json::to_string(&c.to_string()).unwrap();
                let plain = &plain[1..plain.len() - 1];
                if escape.next().unwrap_or(false) {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                } else {
                    out.push_str(plain);
                }
            }
            out.push('"');
        }
        Value::Array(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, escape, style, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                write_json(x, escape, style, out);
            }
            out.push('}');
        }
        // A whole number may also be written with a fraction or an exponent.
        Value::Number(n) if n.is_u64() => match style {
            Num::Plain => out.push_str(&n.to_string()),
            Num::Fraction => out.push_str(&format!("{n}.0")),
            // 3389 as 3.389e3: the digits are no longer together.
            Num::Exponent => {
                let d = n.to_string();
                out.push_str(&format!("{}.{}0e{}", &d[..1], &d[1..], d.len() - 1));
            }
        },
        other => out.push_str(&other.to_string()),
    }
}

/// How whole numbers are written.
#[derive(Clone, Copy, Debug)]
enum Num {
    Plain,
    Fraction,
    Exponent,
}

/// The rules of the library that match `text` (an event's JSON) but that the prefilter
/// rejects.
fn rejected(text: &str) -> Vec<String> {
    let (rules, _) = &*LIBRARY;
    let catalog = &*CATALOG;
    let plan = &*PLAN;
    let f = plan.prefilter.as_ref().unwrap();
    let mut scratch = hunt::prefilter::Scratch::default();
    let mut cands = Vec::new();
    f.for_line(text.as_bytes())
        .candidates(text.as_bytes(), &mut scratch, &mut cands);
    let parsed: Value = serde_json::from_str(text).unwrap();
    let fields = tripline::catalog::normalize(catalog, &parsed).0;
    let mut ev = Evaluator::new();
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let src = &plan.sources[plan.rule_source[i]];
        let recognised = src.recognizer.as_ref().is_none_or(|p| ev.eval(p, &fields));
        if recognised
            && r.stage.is_none()
            && ev.eval(&r.expr, &fields)
            && !cands.contains(&(i as u32))
        {
            out.push(r.name.clone());
        }
    }
    out
}

#[test]
fn numbers_written_any_way_are_never_filtered_out() {
    let (_, events) = &*LIBRARY;
    for style in [Num::Plain, Num::Fraction, Num::Exponent] {
        for e in events {
            let mut text = String::new();
            write_json(e, &mut std::iter::empty(), style, &mut text);
            let r = rejected(&text);
            assert!(r.is_empty(), "{style:?}: {r:?} match {text}");
        }
    }
}

/// Change the case of letters, and swap in `K` (Kelvin), `ſ`, `İ`, by the bits of `seed`.
fn mutate(v: &Value, bits: &mut impl Iterator<Item = u8>) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.chars()
                .map(|c| match (bits.next().unwrap_or(0), c) {
                    (1, c) => c.to_ascii_uppercase(),
                    (2, c) => c.to_ascii_lowercase(),
                    (3, 'k' | 'K') => '\u{212a}',
                    (3, 's' | 'S') => '\u{17f}',
                    (3, 'i' | 'I') => '\u{130}',
                    (_, c) => c,
                })
                .collect(),
        ),
        Value::Array(xs) => Value::Array(xs.iter().map(|x| mutate(x, bits)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), mutate(x, bits)))
                .collect(),
        ),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whenever a rule matches an event (after any change of case, exotic letters, and any
    /// way of writing it in JSON), the prefilter lets the event through to that rule.
    #[test]
    fn the_prefilter_never_rejects_a_match(
        pick in any::<prop::sample::Index>(),
        case_bits in prop::collection::vec(0u8..8, 0..400),
        escape_bits in prop::collection::vec(prop::bool::weighted(0.05), 0..400),
    ) {
        let (rules, events) = &*LIBRARY;
        let catalog = Catalog::builtin();
        let plan = Plan::new(rules, &catalog, true);
        let prefilter = plan.prefilter.as_ref().unwrap();
        let event = mutate(&events[pick.index(events.len())], &mut case_bits.into_iter());
        let mut text = String::new();
        write_json(&event, &mut escape_bits.into_iter(), Num::Plain, &mut text);
        let parsed: Value = serde_json::from_str(&text).unwrap();

        let mut scratch = hunt::prefilter::Scratch::default();
        let mut cands = Vec::new();
        prefilter
            .for_line(text.as_bytes())
            .candidates(text.as_bytes(), &mut scratch, &mut cands);
        let fields = tripline::catalog::normalize(&catalog, &parsed).0;
        let mut ev = Evaluator::new();
        for (i, r) in rules.iter().enumerate() {
            let src = &plan.sources[plan.rule_source[i]];
            let recognised = src.recognizer.as_ref().is_none_or(|p| ev.eval(p, &fields));
            if recognised && r.stage.is_none() && ev.eval(&r.expr, &fields) {
                prop_assert!(cands.contains(&(i as u32)), "{} matches {} but was filtered out", r.name, text);
            }
        }
    }
}

static LIBRARY: std::sync::LazyLock<(Vec<ir::Rule>, Vec<Value>)> =
    std::sync::LazyLock::new(library);
static CATALOG: std::sync::LazyLock<Catalog> = std::sync::LazyLock::new(Catalog::builtin);
static PLAN: std::sync::LazyLock<Plan<'static>> =
    std::sync::LazyLock::new(|| Plan::new(&LIBRARY.0, &CATALOG, true));

#[test]
fn the_prefilter_passes_over_most_events_of_other_sources() {
    let (rules, events) = &*LIBRARY;
    let catalog = Catalog::builtin();
    let plan = Plan::new(rules, &catalog, true);
    let f = plan.prefilter.as_ref().unwrap();
    assert!(f.keyed.patterns() > 20, "the library gives literals");
    let mut scratch = hunt::prefilter::Scratch::default();
    let mut cands = Vec::new();
    let mut total = 0;
    for e in events {
        let text = e.to_string();
        f.for_line(text.as_bytes())
            .candidates(text.as_bytes(), &mut scratch, &mut cands);
        total += cands.len();
    }
    // Each event is a test case of one rule; most rules must not see it.
    assert!(
        total < events.len() * rules.len() / 4,
        "{total} candidates for {} events × {} rules",
        events.len(),
        rules.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A `new` stage that forgets old times as the query time's lower bound rises gives
    /// the alerts of the stage run over every event at once.
    #[test]
    fn a_first_seen_state_that_forgets_gives_the_same_alerts(
        events in prop::collection::vec((0u8..6, 0i64..(20 * 86_400)), 1..300),
    ) {
        use tripline::eval::stage::{self, State};
        let (rules, _) = &*LIBRARY;
        let rule = rules
            .iter()
            .find(|r| matches!(r.stage, Some(ir::Stage::FirstSeen { .. })))
            .expect("the library has a `new` rule");
        let st = rule.stage.as_ref().unwrap();
        let sample = rule.tests.iter().find(|c| c.expect).expect("a matching case");
        let catalog = Catalog::builtin();
        let base = tripline::catalog::normalize(&catalog, &sample.event).0;
        let ts = catalog.sources[&rule.source].timestamp.clone().unwrap();
        let Some(ir::Stage::FirstSeen { fields, .. }) = &rule.stage else { unreachable!() };
        let key = &fields[0].name;
        let start = 1_764_000_000_000i64;
        let made: Vec<Value> = events
            .iter()
            .map(|(k, s)| {
                let mut e = base.clone();
                e[key] = Value::String(format!("app-{k}"));
                e[&ts] = Value::String(tripline::time::format(start + s * 1000));
                e
            })
            .collect();
        let mut ev = Evaluator::new();
        let latest = made.iter().filter_map(|e| stage::event_time(e, &ts)).max().unwrap();
        let now = latest + 1000;
        let want = stage::run(&mut ev, rule, st, &made, &ts, now);
        let mut state = State::new(st, usize::MAX);
        let mut high = i64::MIN;
        for e in &made {
            let t = stage::event_time(e, &ts).unwrap();
            state.add(&mut ev, rule, t, e);
            high = high.max(t);
            state.set_now_floor(high + 1000);
        }
        prop_assert_eq!(state.finish(now), want);
    }
}

/// `--max-state`: a stage stops taking new entries at its limit and says so.
#[test]
fn a_stage_at_its_limit_keeps_no_more_and_says_so() {
    use tripline::eval::stage::{self, State};
    let (rules, _) = &*LIBRARY;
    let rule = rules
        .iter()
        .find(|r| matches!(r.stage, Some(ir::Stage::FirstSeen { .. })))
        .expect("the library has a `new` rule");
    let st = rule.stage.as_ref().unwrap();
    let catalog = Catalog::builtin();
    let sample = rule
        .tests
        .iter()
        .find(|c| c.expect)
        .expect("a matching case");
    let mut base = tripline::catalog::normalize(&catalog, &sample.event).0;
    let ts = catalog.sources[&rule.source].timestamp.clone().unwrap();
    base[&ts] = Value::String("2026-11-30T12:00:00Z".into());
    let Some(ir::Stage::FirstSeen { fields, .. }) = &rule.stage else {
        unreachable!()
    };
    let mut ev = Evaluator::new();
    let mut state = State::new(st, 4);
    for k in 0..10 {
        let mut e = base.clone();
        e[&fields[0].name] = Value::String(format!("app-{k}"));
        let t = stage::event_time(&e, &ts).unwrap();
        state.add(&mut ev, rule, t, &e);
    }
    assert!(state.overflowed());
    assert!(state.entries() <= 4, "{} entries", state.entries());
    let mut roomy = State::new(st, usize::MAX);
    let mut e = base.clone();
    e[&fields[0].name] = Value::String("app-0".into());
    roomy.add(&mut ev, rule, stage::event_time(&e, &ts).unwrap(), &e);
    assert!(!roomy.overflowed());
}
