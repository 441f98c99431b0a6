//! The `spl` target.

use super::{Ctx, Target, TargetError};
use crate::ir;

/// The spl target.
pub struct Spl;

impl Target for Spl {
    fn name(&self) -> &'static str {
        "spl"
    }

    fn extension(&self) -> &'static str {
        "spl"
    }

    fn compile_rule(&self, rule: &ir::Rule, _ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        Ok(format!("{}\n", rule.name))
    }

    fn comment(&self, text: &str) -> String {
        format!("// {text}")
    }
}
