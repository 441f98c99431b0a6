//! The catalog of log sources and their fields.
//!
//! The built-in catalog (`builtin.yml`) is compiled into the binary; a user file given with
//! `--catalog` replaces sources of the same name and adds new ones.
//!
//! Every per-target detail lives under a source's `targets:` map, keyed by a target's
//! catalog key (`kql.sentinel`, `kql.defender`, `spl`, `sigma`), so that nothing outside
//! `targets/` needs to know which target is which.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::yaml;

/// The YAML compiled into the binary.
pub const BUILTIN: &str = include_str!("builtin.yml");

/// A field's type in the rule language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// Integer or decimal number.
    Number,
    /// An IPv4 or IPv6 address held as text.
    Ip,
    /// `true` / `false`.
    Bool,
    /// A JSON array or object, tested through its JSON text: only `contains` with needles
    /// that every JSON writer spells the same way, and `exists`/`missing`.
    Json,
}

impl FieldType {
    /// The lower-case name used in diagnostics and `tripline sources`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Ip => "ip",
            FieldType::Bool => "bool",
            FieldType::Json => "json",
        }
    }
}

/// The whole catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Log sources by name (`m365.audit`).
    pub sources: IndexMap<String, Source>,
}

/// One log source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// What the source holds.
    pub description: String,
    /// The Sigma `logsource` block (`product`, `service`, `category`).
    pub logsource: IndexMap<String, String>,
    /// The field holding the event time, in source field names.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Typed fields, by raw source name (dotted for nested objects).
    pub fields: IndexMap<String, FieldDef>,
    /// Per-target settings, by target catalog key.
    #[serde(default)]
    pub targets: IndexMap<String, TargetSource>,
}

/// A field: just its type (`Operation: string`) or a map with more detail.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldDef {
    /// `Name: string`
    Type(FieldType),
    /// `Name: {type: string, description: "..."}`
    Full {
        /// The field's type.
        #[serde(rename = "type")]
        ty: FieldType,
        /// What the field holds.
        #[serde(default)]
        description: Option<String>,
    },
}

impl FieldDef {
    /// The field's type.
    pub fn ty(&self) -> FieldType {
        match self {
            FieldDef::Type(t) => *t,
            FieldDef::Full { ty, .. } => *ty,
        }
    }
}

/// A source's settings for one target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSource {
    /// KQL: the table.
    #[serde(default)]
    pub table: Option<String>,
    /// SPL: the base search; `{index}` is replaced with the index.
    #[serde(default)]
    pub base: Option<String>,
    /// SPL: the default index.
    #[serde(default)]
    pub index: Option<String>,
    /// The time column on this target.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// KQL: a condition, in KQL, that selects this source's rows in a shared table
    /// (emitted as the first `| where`).
    #[serde(default)]
    pub filter: Option<String>,
    /// Field mappings; a field not listed keeps its source name.
    #[serde(default)]
    pub fields: IndexMap<String, FieldMap>,
}

/// How one source field appears on a target.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldMap {
    /// A plain rename: `Workload: OfficeWorkload`.
    Column(String),
    /// A full mapping.
    Full(FieldMapFull),
}

/// A full field mapping.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapFull {
    /// The physical column that holds the value (used for schemas and conformance data).
    #[serde(default)]
    pub column: Option<String>,
    /// An expression to emit instead of the column (`tostring(RawEventData.AppId)`).
    #[serde(default)]
    pub expr: Option<String>,
    /// The field cannot be queried on this target: using it is an error.
    #[serde(default)]
    pub unavailable: Option<String>,
}

/// How a field is written on a target, after mapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Mapped {
    /// A column name, to be quoted by the target if it needs it.
    Column(String),
    /// A verbatim expression in the target's language.
    Expr(String),
}

/// Errors loading a catalog.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CatalogError {
    /// The YAML did not parse or did not have the catalog's shape.
    #[error("catalog {origin}: {message}")]
    #[diagnostic(code(tripline::catalog::invalid))]
    Invalid {
        /// Where the catalog came from.
        origin: String,
        /// What was wrong.
        message: String,
    },
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Catalog {
        Catalog::from_yaml(BUILTIN, "built-in catalog")
            .expect("the built-in catalog is valid (checked by tests)")
    }

    /// Parse a catalog from YAML text.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Catalog, CatalogError> {
        let cat: Catalog = yaml::from_str(text).map_err(|e| CatalogError::Invalid {
            origin: origin.to_string(),
            message: e,
        })?;
        cat.validate(origin)?;
        Ok(cat)
    }

    /// Overlay a user catalog: its sources replace built-in ones of the same name.
    pub fn overlay(mut self, other: Catalog) -> Catalog {
        for (name, src) in other.sources {
            self.sources.insert(name, src);
        }
        self
    }

    fn validate(&self, origin: &str) -> Result<(), CatalogError> {
        for (name, src) in &self.sources {
            for (key, t) in &src.targets {
                for field in t.fields.keys() {
                    if !src.fields.contains_key(field) {
                        return Err(CatalogError::Invalid {
                            origin: origin.to_string(),
                            message: format!(
                                "source `{name}`, target `{key}`: mapping for unknown field `{field}`"
                            ),
                        });
                    }
                }
            }
            if let Some(ts) = &src.timestamp {
                if !src.fields.contains_key(ts) {
                    return Err(CatalogError::Invalid {
                        origin: origin.to_string(),
                        message: format!("source `{name}`: timestamp field `{ts}` is not a field"),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Source {
    /// The type of a field, if the source has it.
    pub fn field_type(&self, name: &str) -> Option<FieldType> {
        self.fields.get(name).map(FieldDef::ty)
    }

    /// How `field` is written for the target with catalog key `key`.
    /// `Err` carries the catalog's reason when the field is unavailable there.
    pub fn map_field(&self, key: &str, field: &str) -> Result<Mapped, String> {
        match self.targets.get(key).and_then(|t| t.fields.get(field)) {
            None => Ok(Mapped::Column(field.to_string())),
            Some(FieldMap::Column(c)) => Ok(Mapped::Column(c.clone())),
            Some(FieldMap::Full(full)) => {
                if let Some(why) = &full.unavailable {
                    return Err(why.clone());
                }
                if let Some(e) = &full.expr {
                    return Ok(Mapped::Expr(e.clone()));
                }
                Ok(Mapped::Column(
                    full.column.clone().unwrap_or_else(|| field.to_string()),
                ))
            }
        }
    }
}

/// A human-readable listing of the catalog (for `tripline sources`).
pub fn describe(cat: &Catalog) -> String {
    let mut s = String::new();
    for (name, src) in &cat.sources {
        s.push_str(&format!("{name}\n    {}\n", src.description.trim()));
        let ls: Vec<String> = src
            .logsource
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        s.push_str(&format!("    sigma logsource: {}\n", ls.join(", ")));
        for (key, t) in &src.targets {
            let what = t
                .table
                .clone()
                .or_else(|| t.base.clone())
                .unwrap_or_default();
            s.push_str(&format!("    {key}: {what}\n"));
            if let Some(f) = &t.filter {
                s.push_str(&format!("        rows: {f}\n"));
            }
        }
        s.push_str("    fields:\n");
        let width = src.fields.keys().map(|k| k.len()).max().unwrap_or(0);
        for (f, d) in &src.fields {
            s.push_str(&format!("        {f:width$}  {}\n", d.ty().name()));
        }
    }
    s
}
