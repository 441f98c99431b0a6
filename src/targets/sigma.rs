//! The `sigma` target.

use super::{Ctx, Target, TargetError};
use crate::ir;

/// The sigma target.
pub struct Sigma;

impl Target for Sigma {
    fn name(&self) -> &'static str {
        "sigma"
    }

    fn extension(&self) -> &'static str {
        "sigma"
    }

    fn compile_rule(&self, rule: &ir::Rule, _ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        Ok(format!("{}\n", rule.name))
    }

    fn comment(&self, text: &str) -> String {
        format!("// {text}")
    }
}
