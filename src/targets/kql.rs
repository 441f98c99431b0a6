//! The `kql` target.

use super::{Ctx, Target, TargetError};
use crate::ir;

/// The kql target.
pub struct Kql;

impl Target for Kql {
    fn name(&self) -> &'static str {
        "kql"
    }

    fn extension(&self) -> &'static str {
        "kql"
    }

    fn compile_rule(&self, rule: &ir::Rule, _ctx: &Ctx) -> Result<String, Vec<TargetError>> {
        Ok(format!("{}\n", rule.name))
    }

    fn comment(&self, text: &str) -> String {
        format!("// {text}")
    }
}
