//! The hunting engine behind `tripline hunt`: every rule over streams of events.
//!
//! Events are read in blocks ([`input`]), and each block runs on its own
//! ([`worker::process`]): a one-pass literal prefilter ([`prefilter`], sound by
//! [`literals`]) picks the rules an event could match, the event is parsed and read
//! through the catalog's record shapes, recognised once per source, and evaluated by the
//! reference evaluator. Blocks run in parallel and are merged in input order, so the
//! output is the same with any number of threads. Single-event rules keep nothing;
//! stateful rules keep only their stage's state ([`crate::eval::stage::State`]).

pub mod input;
pub mod literals;
pub mod output;
pub mod plan;
pub mod prefilter;
pub mod project;
mod summary;
pub mod worker;

use std::io::Write;

use crate::catalog::Catalog;
use crate::eval::stage::State;
use crate::eval::Evaluator;
use crate::ir;

pub use output::Format;
pub use plan::Plan;
pub use summary::{BadLine, Summary};

/// How to hunt.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Use the literal prefilter (`false`: every rule sees every event).
    pub prefilter: bool,
    /// At most this many state entries per stateful rule.
    pub max_state: usize,
    /// The output format.
    pub format: Format,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threads: 1,
            prefilter: true,
            max_state: DEFAULT_MAX_STATE,
            format: Format::Jsonl,
        }
    }
}

/// The default `--max-state`: entries per stateful rule.
pub const DEFAULT_MAX_STATE: usize = 1_000_000;

/// Progress so far, after each batch of blocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Bytes of event text read.
    pub bytes: u64,
    /// Events read.
    pub events: u64,
    /// Matches and alerts so far.
    pub hits: u64,
}

/// Run `rules` over `inputs`, writing each match to `out` as it is found (in input order,
/// then rule order) and the stateful rules' alerts at the end (in rule order). Inputs that
/// fail are returned with the summary; the others are read.
pub fn run<E: Send>(
    rules: &[ir::Rule],
    catalog: &Catalog,
    inputs: impl Iterator<Item = Result<input::Block, E>> + Send,
    opts: &Options,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(Progress),
) -> std::io::Result<(Summary, Vec<E>)> {
    let plan = Plan::new(rules, catalog, opts.prefilter);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(std::io::Error::other)?;
    let mut merge = Merge::new(&plan, opts);
    if let Some(h) = output::header(opts.format) {
        out.write_all(h.as_bytes())?;
    }
    let batch = opts.threads.max(1) * 4;
    let mut errors = Vec::new();
    let (tx, rx) = crossbeam_channel::bounded::<Result<input::Block, E>>(batch);
    std::thread::scope(|scope| -> std::io::Result<()> {
        scope.spawn(move || {
            for b in inputs {
                if tx.send(b).is_err() {
                    break;
                }
            }
        });
        let mut blocks = Vec::with_capacity(batch);
        loop {
            blocks.clear();
            match rx.recv() {
                Ok(b) => blocks.push(b),
                Err(_) => break,
            }
            while blocks.len() < batch {
                match rx.try_recv() {
                    Ok(b) => blocks.push(b),
                    Err(_) => break,
                }
            }
            let mut ok = Vec::with_capacity(blocks.len());
            for b in blocks.drain(..) {
                match b {
                    Ok(b) => ok.push(b),
                    Err(e) => errors.push(e),
                }
            }
            let outs: Vec<worker::BlockOut> = pool.install(|| {
                use rayon::prelude::*;
                ok.par_iter().map(|b| worker::process(&plan, b)).collect()
            });
            for o in outs {
                merge.block(o, out)?;
            }
            progress(merge.progress());
        }
        Ok(())
    })?;
    let summary = merge.finish(out)?;
    Ok((summary, errors))
}

/// The sequential part: output in order, stage states, counts.
struct Merge<'p, 'a> {
    plan: &'p Plan<'a>,
    format: Format,
    ev: Evaluator,
    states: Vec<Option<State>>,
    latest: Vec<Option<i64>>,
    summary: Summary,
}

impl<'p, 'a> Merge<'p, 'a> {
    fn new(plan: &'p Plan<'a>, opts: &Options) -> Merge<'p, 'a> {
        Merge {
            plan,
            format: opts.format,
            ev: Evaluator::new(),
            states: plan
                .rules
                .iter()
                .map(|r| r.stage.as_ref().map(|s| State::new(s, opts.max_state)))
                .collect(),
            latest: vec![None; plan.sources.len()],
            summary: Summary::new(plan.rules),
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            bytes: self.summary.bytes,
            events: self.summary.events,
            hits: self.summary.hits.iter().sum(),
        }
    }

    fn block(&mut self, o: worker::BlockOut, out: &mut dyn Write) -> std::io::Result<()> {
        for m in &o.found {
            let line = output::found(self.format, &self.plan.rules[m.rule], &o.file, m);
            out.write_all(line.as_bytes())?;
            self.summary.hits[m.rule] += 1;
        }
        for f in &o.feeds {
            if let Some(st) = &mut self.states[f.rule] {
                st.add(&mut self.ev, &self.plan.rules[f.rule], f.t, &f.fields);
            }
        }
        for (s, t) in o.latest.iter().enumerate() {
            if t.is_some() && *t > self.latest[s] {
                self.latest[s] = *t;
                let floor = t.unwrap_or(0) + 1000;
                for (r, st) in self.states.iter_mut().enumerate() {
                    if let Some(st) = st {
                        if self.plan.rule_source[r] == s {
                            st.set_now_floor(floor);
                        }
                    }
                }
            }
        }
        self.summary.add_block(&o);
        Ok(())
    }

    fn finish(mut self, out: &mut dyn Write) -> std::io::Result<Summary> {
        for (r, st) in self.states.into_iter().enumerate() {
            let Some(st) = st else { continue };
            let rule = &self.plan.rules[r];
            if st.overflowed() {
                self.summary.state_limited.push(rule.name.clone());
            }
            // The query time: one second after the source's latest event.
            let now = self.latest[self.plan.rule_source[r]].unwrap_or(0) + 1000;
            for a in st.finish(now) {
                out.write_all(output::alert(self.format, rule, &a).as_bytes())?;
                self.summary.hits[r] += 1;
            }
        }
        Ok(self.summary)
    }
}
