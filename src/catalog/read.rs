//! Reading a catalog file: YAML → checked catalog, with every problem of the file reported
//! as a coded diagnostic with its place, a labelled span and help (did-you-mean for names,
//! the valid forms for values). The format is documented in `docs/catalog.md`.

use std::sync::Arc;

use indexmap::IndexMap;
use miette::SourceSpan;
use serde_json::{Map, Value};

use super::{
    Catalog, Entity, FieldDef, FieldMap, FieldMapFull, FieldType, Located, Record, Source,
    TargetSource, Template,
};

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A built-in file: every name it defines is new.
    Builtin,
    /// A user file: a source of an existing name is merged into it.
    User,
}

/// One problem of a catalog file.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum CatalogError {
    /// The file is not YAML.
    #[error("not valid YAML: {message}")]
    #[diagnostic(
        code(tripline::catalog::yaml),
        help("a catalog is a YAML map with the keys `sources` (and optionally `records`, `field_sets`); see docs/catalog.md")
    )]
    Yaml {
        /// The parser's message.
        message: String,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// A key that the format does not have.
    #[error("unknown key `{key}` in {place}")]
    #[diagnostic(code(tripline::catalog::unknown_key))]
    UnknownKey {
        /// The key.
        key: String,
        /// Where (`source `m365.audit``).
        place: String,
        /// Where in the file.
        #[label("not a key of {place}")]
        span: SourceSpan,
        /// Did you mean / the valid keys.
        #[help]
        help: String,
    },
    /// A target section under a key no target reads.
    #[error("unknown target key `{key}` in {place}")]
    #[diagnostic(code(tripline::catalog::unknown_target))]
    UnknownTarget {
        /// The key.
        key: String,
        /// Where.
        place: String,
        /// Where in the file.
        #[label("no target reads this section")]
        span: SourceSpan,
        /// Did you mean / the valid keys.
        #[help]
        help: String,
    },
    /// A value of the wrong form.
    #[error("{place}: {message}")]
    #[diagnostic(code(tripline::catalog::bad_value))]
    BadValue {
        /// Where.
        place: String,
        /// What is wrong.
        message: String,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
        /// The valid forms.
        #[help]
        help: String,
    },
    /// A required key that is missing.
    #[error("{place} has no `{key}`")]
    #[diagnostic(code(tripline::catalog::missing_key))]
    MissingKey {
        /// Where.
        place: String,
        /// The key.
        key: String,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
        /// What it is for.
        #[help]
        help: String,
    },
    /// A name that is not a field of its source (in a mapping, `timestamp`, ...).
    #[error("{place}: `{name}` is not a field of source `{source_name}`")]
    #[diagnostic(code(tripline::catalog::unknown_field))]
    UnknownField {
        /// Where.
        place: String,
        /// The name.
        name: String,
        /// The source.
        source_name: String,
        /// Where in the file.
        #[label("not a field")]
        span: SourceSpan,
        /// Did you mean.
        #[help]
        help: String,
    },
    /// A name that refers to nothing (`record`, `use`).
    #[error("{place}: unknown {what} `{name}`")]
    #[diagnostic(code(tripline::catalog::unknown_name))]
    UnknownName {
        /// Where.
        place: String,
        /// What kind of name.
        what: &'static str,
        /// The name.
        name: String,
        /// Where in the file.
        #[label("unknown {what}")]
        span: SourceSpan,
        /// Did you mean / the known names.
        #[help]
        help: String,
    },
    /// A name defined twice among the built-in files.
    #[error("{what} `{name}` is defined twice")]
    #[diagnostic(
        code(tripline::catalog::duplicate),
        help("each built-in file defines its own names; merge the two definitions")
    )]
    Duplicate {
        /// What kind of name.
        what: &'static str,
        /// The name.
        name: String,
        /// Where in the file.
        #[label("defined again here")]
        span: SourceSpan,
    },
    /// A `recognize` predicate that does not parse or check (reported by `check`).
    #[error("source `{source_name}`: recognize: {message}")]
    #[diagnostic(
        code(tripline::catalog::bad_recognize),
        help("`recognize` is a rule-language expression over the source's own fields, e.g. `Channel == \"Security\" and EventID == 4624`")
    )]
    BadRecognize {
        /// The source.
        source_name: String,
        /// What is wrong.
        message: String,
        /// Where in the file.
        #[label("here")]
        span: SourceSpan,
    },
}

/// Every problem of one catalog file, with its text (for rendering).
#[derive(Debug, Clone)]
pub struct FileError {
    /// The file.
    pub origin: String,
    /// Its text.
    pub text: Arc<str>,
    /// The problems, in file order.
    pub errors: Vec<CatalogError>,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "catalog {}: ", self.origin)?;
        let msgs: Vec<String> = self.errors.iter().map(|e| e.to_string()).collect();
        write!(f, "{}", msgs.join("; "))
    }
}

impl std::error::Error for FileError {}

/// What a text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wrap {
    /// A catalog file.
    File,
    /// One source's definition, read as source `t`.
    Source,
}

/// Read `text` (named `origin`) over `base`.
pub(super) fn read(
    text: &str,
    origin: &str,
    base: Option<&Catalog>,
    mode: Mode,
) -> Result<Catalog, FileError> {
    read_as(text, origin, base, mode, Wrap::File)
}

/// Read `text` as a file or as one source's definition.
pub(super) fn read_as(
    text: &str,
    origin: &str,
    base: Option<&Catalog>,
    mode: Mode,
    wrap: Wrap,
) -> Result<Catalog, FileError> {
    let mut r = Reader {
        text,
        origin: Arc::from(origin),
        file: Arc::from(text),
        errors: Vec::new(),
        keys: target_keys(),
    };
    let mut cat = base.cloned().unwrap_or_default();
    match crate::yaml::value(text) {
        Ok(v) => {
            let v = match wrap {
                Wrap::File => v,
                Wrap::Source => serde_json::json!({"sources": {"t": v}}),
            };
            r.top(&v, &mut cat, mode)
        }
        Err((message, offset)) => r.errors.push(CatalogError::Yaml {
            message,
            span: (offset.min(text.len()), 0).into(),
        }),
    }
    if r.errors.is_empty() {
        Ok(cat)
    } else {
        r.errors.sort_by_key(|e| {
            use miette::Diagnostic;
            e.labels()
                .and_then(|mut l| l.next())
                .map(|l| l.offset())
                .unwrap_or(0)
        });
        Err(FileError {
            origin: origin.to_string(),
            text: r.file.clone(),
            errors: r.errors,
        })
    }
}

/// Every catalog key a target reads.
fn target_keys() -> Vec<String> {
    crate::targets::registry()
        .iter()
        .flat_map(|t| t.catalog_keys())
        .collect()
}

/// `did you mean `x`?` or the list of valid names.
fn suggest<'a>(name: &str, valid: impl IntoIterator<Item = &'a str>) -> String {
    let valid: Vec<&str> = valid.into_iter().collect();
    if let Some(h) = crate::check::did_you_mean(name, valid.iter().copied()) {
        return h;
    }
    if valid.len() <= 12 {
        format!("valid: {}", valid.join(", "))
    } else {
        format!("{} names are known; see `tripline sources`", valid.len())
    }
}

const TOP_KEYS: &[&str] = &["records", "field_sets", "sources"];
const SOURCE_KEYS: &[&str] = &[
    "description",
    "logsource",
    "timestamp",
    "record",
    "recognize",
    "use",
    "fields",
    "targets",
    "replace",
];
const RECORD_KEYS: &[&str] = &["description", "detect", "fields", "spread"];
const LOGSOURCE_KEYS: &[&str] = &["product", "category", "service", "definition"];
const FIELD_KEYS: &[&str] = &["type", "description", "entity"];
const TARGET_KEYS: &[&str] = &[
    "unavailable",
    "recognize",
    "table",
    "base",
    "index",
    "timestamp",
    "filter",
    "template",
    "fields",
];
const TEMPLATE_KEYS: &[&str] = &["column", "string", "number", "ip", "bool", "json"];
const MAPPING_KEYS: &[&str] = &["column", "expr", "unavailable"];
const FIELD_FORMS: &str = "a field is a type name (string, number, ip, bool, json) or a map {type: <type>, description: <text>, entity: <entity>}";
const MAPPING_FORMS: &str = "a mapping is a column name (`Workload: OfficeWorkload`), {column: C, expr: E} for an expression reading column C, {column: C} or {unavailable: <why>}";

/// A source as written in one file: every key optional (merged over a base source).
#[derive(Default)]
struct SourcePatch {
    description: Option<String>,
    logsource: Option<IndexMap<String, String>>,
    timestamp: Option<String>,
    record: Option<String>,
    recognize: Option<Located>,
    uses: Vec<(String, Vec<String>)>,
    fields: IndexMap<String, FieldDef>,
    targets: IndexMap<String, TargetPatch>,
    replace: bool,
}

#[derive(Default)]
struct TargetPatch {
    unavailable: Option<String>,
    table: Option<String>,
    base: Option<String>,
    index: Option<String>,
    timestamp: Option<String>,
    filter: Option<String>,
    template: Option<Template>,
    recognize: Option<bool>,
    fields: IndexMap<String, FieldMap>,
}

struct Reader<'t> {
    text: &'t str,
    origin: Arc<str>,
    file: Arc<str>,
    errors: Vec<CatalogError>,
    keys: Vec<String>,
}

impl Reader<'_> {
    // ----- locating ----------------------------------------------------------------------

    /// The span of the key at `path` (each element a map key, from the top).
    fn span(&self, path: &[&str]) -> SourceSpan {
        let (at, len) = locate(self.text, path);
        (at, len).into()
    }

    fn place(path: &[&str]) -> String {
        match path {
            [] => "the catalog".to_string(),
            ["sources", name] => format!("source `{name}`"),
            ["sources", name, "targets", key] => format!("source `{name}`, target `{key}`"),
            ["sources", name, "targets", key, rest @ ..] => {
                format!("source `{name}`, target `{key}`, {}", rest.join("."))
            }
            ["sources", name, rest @ ..] => format!("source `{name}`, {}", rest.join(".")),
            other => other.join("."),
        }
    }

    // ----- generic helpers ---------------------------------------------------------------

    fn map<'v>(
        &mut self,
        v: &'v Value,
        path: &[&str],
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            Value::Null => None,
            _ => {
                self.bad(path, &format!("expected a map ({what})"), what);
                None
            }
        }
    }

    fn bad(&mut self, path: &[&str], message: &str, help: &str) {
        self.errors.push(CatalogError::BadValue {
            place: Self::place(path),
            message: message.to_string(),
            span: self.span(path),
            help: help.to_string(),
        });
    }

    /// Report keys of `m` not in `valid`.
    fn known_keys(&mut self, m: &Map<String, Value>, valid: &[&str], path: &[&str]) {
        for k in m.keys() {
            if !valid.contains(&k.as_str()) {
                let mut p = path.to_vec();
                p.push(k);
                self.errors.push(CatalogError::UnknownKey {
                    key: k.clone(),
                    place: Self::place(path),
                    span: self.span(&p),
                    help: suggest(k, valid.iter().copied()),
                });
            }
        }
    }

    /// A non-empty string at `m[key]`.
    fn string(&mut self, m: &Map<String, Value>, key: &str, path: &[&str]) -> Option<String> {
        let v = m.get(key)?;
        let mut p = path.to_vec();
        p.push(key);
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::String(_) => {
                self.bad(
                    &p,
                    "must not be empty",
                    "write the value, or leave the key out",
                );
                None
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.bad(&p, "expected text", "write a string");
                None
            }
        }
    }

    fn strings(&mut self, v: &Value, path: &[&str]) -> Vec<String> {
        match v {
            Value::String(s) if !s.is_empty() => vec![s.clone()],
            Value::Array(xs)
                if xs
                    .iter()
                    .all(|x| matches!(x, Value::String(s) if !s.is_empty())) =>
            {
                xs.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            }
            _ => {
                self.bad(
                    path,
                    "expected a name or a list of names",
                    "write `x` or `[x, y]`",
                );
                Vec::new()
            }
        }
    }

    // ----- the file ----------------------------------------------------------------------

    fn top(&mut self, v: &Value, cat: &mut Catalog, mode: Mode) {
        let Some(m) = self.map(v, &[], "the catalog") else {
            return;
        };
        self.known_keys(m, TOP_KEYS, &[]);
        if let Some(rs) = m
            .get("records")
            .and_then(|v| self.map(v, &["records"], "records by name"))
        {
            for (name, rv) in rs {
                if mode == Mode::Builtin && cat.records.contains_key(name) {
                    self.errors.push(CatalogError::Duplicate {
                        what: "record",
                        name: name.clone(),
                        span: self.span(&["records", name]),
                    });
                    continue;
                }
                if let Some(r) = self.record(rv, &["records", name]) {
                    cat.records.insert(name.clone(), r);
                }
            }
        }
        let mut sets: IndexMap<String, IndexMap<String, FieldDef>> = cat.field_sets.clone();
        if let Some(fs) = m
            .get("field_sets")
            .and_then(|v| self.map(v, &["field_sets"], "field sets by name"))
        {
            for (name, fv) in fs {
                if mode == Mode::Builtin && sets.contains_key(name) {
                    self.errors.push(CatalogError::Duplicate {
                        what: "field set",
                        name: name.clone(),
                        span: self.span(&["field_sets", name]),
                    });
                    continue;
                }
                let fields = self.fields(fv, &["field_sets", name]);
                sets.insert(name.clone(), fields);
            }
        }
        cat.field_sets = sets;
        if let Some(ss) = m
            .get("sources")
            .and_then(|v| self.map(v, &["sources"], "sources by name"))
        {
            for (name, sv) in ss {
                let path = ["sources", name.as_str()];
                if !is_dotted_name(name) {
                    self.bad(
                        &path,
                        &format!("`{name}` cannot be named in a rule's `source` line"),
                        "a source name is dotted identifiers: letters, digits and `_`, separated by `.` (e.g. windows.appx_deployment)",
                    );
                    continue;
                }
                let Some(patch) = self.source(sv, &path) else {
                    continue;
                };
                let existing = cat.sources.get(name);
                if mode == Mode::Builtin && existing.is_some() {
                    self.errors.push(CatalogError::Duplicate {
                        what: "source",
                        name: name.clone(),
                        span: self.span(&path),
                    });
                    continue;
                }
                let base = if patch.replace { None } else { existing };
                if let Some(src) = self.build(name, base, patch, cat, mode) {
                    cat.sources.insert(name.clone(), src);
                }
            }
        }
    }

    fn record(&mut self, v: &Value, path: &[&str]) -> Option<Record> {
        let m = self.map(v, path, "a record shape")?;
        self.known_keys(m, RECORD_KEYS, path);
        let description = self.string(m, "description", path).unwrap_or_default();
        let Some(detect) = self.string(m, "detect", path) else {
            self.missing(
                path,
                "detect",
                "the dotted path whose presence marks a raw record of this shape",
            );
            return None;
        };
        let mut fields = IndexMap::new();
        if let Some(fm) = m.get("fields") {
            let mut p = path.to_vec();
            p.push("fields");
            if let Some(fm) = self.map(fm, &p, "field name → raw path(s)") {
                for (f, pv) in fm {
                    let mut q = p.clone();
                    q.push(f);
                    fields.insert(f.clone(), self.strings(pv, &q));
                }
            }
        }
        let spread = match m.get("spread") {
            Some(v) => {
                let mut p = path.to_vec();
                p.push("spread");
                self.strings(v, &p)
            }
            None => Vec::new(),
        };
        Some(Record {
            description,
            detect,
            fields,
            spread,
        })
    }

    fn missing(&mut self, path: &[&str], key: &str, help: &str) {
        self.errors.push(CatalogError::MissingKey {
            place: Self::place(path),
            key: key.to_string(),
            span: self.span(path),
            help: help.to_string(),
        });
    }

    fn fields(&mut self, v: &Value, path: &[&str]) -> IndexMap<String, FieldDef> {
        let mut out = IndexMap::new();
        let Some(m) = self.map(v, path, "fields by name") else {
            return out;
        };
        for (name, fv) in m {
            let mut p = path.to_vec();
            p.push(name);
            if let Some(d) = self.field(fv, &p) {
                out.insert(name.clone(), d);
            }
        }
        out
    }

    fn field(&mut self, v: &Value, path: &[&str]) -> Option<FieldDef> {
        match v {
            Value::String(s) => match FieldType::from_name(s) {
                Some(ty) => Some(FieldDef::new(ty)),
                None => {
                    self.bad(
                        path,
                        &format!("`{s}` is not a field type"),
                        &suggest(s, FieldType::ALL.iter().map(|t| t.name())),
                    );
                    None
                }
            },
            Value::Object(m) => {
                self.known_keys(m, FIELD_KEYS, path);
                let ty = match m.get("type") {
                    Some(Value::String(s)) => match FieldType::from_name(s) {
                        Some(t) => t,
                        None => {
                            let mut p = path.to_vec();
                            p.push("type");
                            self.bad(
                                &p,
                                &format!("`{s}` is not a field type"),
                                &suggest(s, FieldType::ALL.iter().map(|t| t.name())),
                            );
                            return None;
                        }
                    },
                    _ => {
                        self.missing(path, "type", FIELD_FORMS);
                        return None;
                    }
                };
                let description = self.string(m, "description", path);
                let entity = match m.get("entity") {
                    None => None,
                    Some(Value::String(s)) => match Entity::ALL.iter().find(|(_, n)| n == s) {
                        Some((e, _)) => Some(*e),
                        None => {
                            let mut p = path.to_vec();
                            p.push("entity");
                            self.bad(
                                &p,
                                &format!("`{s}` is not an entity"),
                                &suggest(s, Entity::ALL.iter().map(|(_, n)| *n)),
                            );
                            None
                        }
                    },
                    Some(_) => {
                        let mut p = path.to_vec();
                        p.push("entity");
                        self.bad(&p, "expected an entity name", "e.g. `entity: account`");
                        None
                    }
                };
                Some(FieldDef {
                    ty,
                    description,
                    entity,
                })
            }
            _ => {
                self.bad(path, "not a field definition", FIELD_FORMS);
                None
            }
        }
    }

    fn source(&mut self, v: &Value, path: &[&str]) -> Option<SourcePatch> {
        let m = self.map(v, path, "a source")?;
        self.known_keys(m, SOURCE_KEYS, path);
        let mut s = SourcePatch {
            description: self.string(m, "description", path),
            timestamp: self.string(m, "timestamp", path),
            record: self.string(m, "record", path),
            ..SourcePatch::default()
        };
        if let Some(text) = self.string(m, "recognize", path) {
            let mut p = path.to_vec();
            p.push("recognize");
            let (key_at, _) = locate(self.text, &p);
            let offset = value_offset(self.text, key_at, &text);
            s.recognize = Some(Located {
                text,
                origin: self.origin.clone(),
                file: self.file.clone(),
                offset,
            });
        }
        if let Some(lv) = m.get("logsource") {
            let mut p = path.to_vec();
            p.push("logsource");
            if let Some(lm) = self.map(lv, &p, "product / category / service") {
                // Sigma's own keys first in Sigma's order, then any custom attribute.
                let mut ls = IndexMap::new();
                for k in LOGSOURCE_KEYS.iter().copied().chain(
                    lm.keys()
                        .map(String::as_str)
                        .filter(|k| !LOGSOURCE_KEYS.contains(k)),
                ) {
                    if let Some(v) = self.string(lm, k, &p) {
                        ls.insert(k.to_string(), v);
                    }
                }
                s.logsource = Some(ls);
            }
        }
        if let Some(uv) = m.get("use") {
            let mut p = path.to_vec();
            p.push("use");
            s.uses = self
                .strings(uv, &p)
                .into_iter()
                .map(|n| (n, p.iter().map(|x| x.to_string()).collect()))
                .collect();
        }
        if let Some(fv) = m.get("fields") {
            let mut p = path.to_vec();
            p.push("fields");
            s.fields = self.fields(fv, &p);
        }
        match m.get("replace") {
            None => {}
            Some(Value::Bool(b)) => s.replace = *b,
            Some(_) => {
                let mut p = path.to_vec();
                p.push("replace");
                self.bad(
                    &p,
                    "expected true or false",
                    "`replace: true` replaces the built-in source whole",
                );
            }
        }
        if let Some(tv) = m.get("targets") {
            let mut p = path.to_vec();
            p.push("targets");
            if let Some(tm) = self.map(tv, &p, "target sections by catalog key") {
                for (key, t) in tm {
                    let mut q = p.clone();
                    q.push(key);
                    if !self.keys.iter().any(|k| k == key) {
                        self.errors.push(CatalogError::UnknownTarget {
                            key: key.clone(),
                            place: Self::place(path),
                            span: self.span(&q),
                            help: suggest(key, self.keys.iter().map(String::as_str)),
                        });
                        continue;
                    }
                    if let Some(tp) = self.target(t, &q) {
                        s.targets.insert(key.clone(), tp);
                    }
                }
            }
        }
        Some(s)
    }

    fn target(&mut self, v: &Value, path: &[&str]) -> Option<TargetPatch> {
        let m = self.map(v, path, "a target section")?;
        self.known_keys(m, TARGET_KEYS, path);
        let mut t = TargetPatch {
            unavailable: self.string(m, "unavailable", path),
            table: self.string(m, "table", path),
            base: self.string(m, "base", path),
            index: self.string(m, "index", path),
            timestamp: self.string(m, "timestamp", path),
            filter: self.string(m, "filter", path),
            ..TargetPatch::default()
        };
        match m.get("recognize") {
            None => {}
            Some(Value::Bool(b)) => t.recognize = Some(*b),
            Some(_) => {
                let mut p = path.to_vec();
                p.push("recognize");
                self.bad(
                    &p,
                    "expected true or false",
                    "`recognize: true` selects the source's records with its `recognize` predicate, compiled for this target",
                );
            }
        }
        if let Some(tv) = m.get("template") {
            let mut p = path.to_vec();
            p.push("template");
            if let Some(tm) = self.map(tv, &p, "expressions by field type") {
                self.known_keys(tm, TEMPLATE_KEYS, &p);
                let mut tpl = Template {
                    column: self.string(tm, "column", &p),
                    ..Template::default()
                };
                for ty in FieldType::ALL {
                    if let Some(e) = self.string(tm, ty.name(), &p) {
                        if !e.contains("{name}") {
                            let mut q = p.clone();
                            q.push(ty.name());
                            self.bad(
                                &q,
                                "a template expression must contain `{name}`",
                                "`{name}` is replaced with the field's name, e.g. tostring(EventData.{name})",
                            );
                        }
                        tpl.by_type.insert(ty, e);
                    }
                }
                t.template = Some(tpl);
            }
        }
        if let Some(fv) = m.get("fields") {
            let mut p = path.to_vec();
            p.push("fields");
            if let Some(fm) = self.map(fv, &p, "field mappings by field name") {
                for (name, mv) in fm {
                    let mut q = p.clone();
                    q.push(name);
                    if let Some(mp) = self.mapping(mv, &q) {
                        t.fields.insert(name.clone(), mp);
                    }
                }
            }
        }
        Some(t)
    }

    fn mapping(&mut self, v: &Value, path: &[&str]) -> Option<FieldMap> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(FieldMap::Column(s.clone())),
            Value::Object(m) => {
                self.known_keys(m, MAPPING_KEYS, path);
                let full = FieldMapFull {
                    column: self.string(m, "column", path),
                    expr: self.string(m, "expr", path),
                    unavailable: self.string(m, "unavailable", path),
                };
                if full.column.is_none() && full.expr.is_none() && full.unavailable.is_none() {
                    self.bad(path, "an empty mapping", MAPPING_FORMS);
                    return None;
                }
                if full.unavailable.is_some() && full.expr.is_some() {
                    self.bad(
                        path,
                        "a mapping is either an expression or unavailable, not both",
                        MAPPING_FORMS,
                    );
                    return None;
                }
                Some(FieldMap::Full(full))
            }
            _ => {
                self.bad(path, "not a field mapping", MAPPING_FORMS);
                None
            }
        }
    }

    // ----- merging and final checks ------------------------------------------------------

    fn build(
        &mut self,
        name: &str,
        base: Option<&Source>,
        p: SourcePatch,
        cat: &Catalog,
        mode: Mode,
    ) -> Option<Source> {
        let path = ["sources", name];
        let mut src = match base {
            Some(b) => b.clone(),
            None => {
                let mut ok = true;
                for (key, help) in [
                    ("description", "what the source holds, in a sentence"),
                    (
                        "logsource",
                        "its Sigma logsource, e.g. {product: windows, category: process_creation}",
                    ),
                ] {
                    let given = match key {
                        "description" => p.description.is_some(),
                        _ => p.logsource.is_some(),
                    };
                    if !given {
                        self.missing(&path, key, help);
                        ok = false;
                    }
                }
                if mode == Mode::Builtin && p.recognize.is_none() {
                    self.missing(
                        &path,
                        "recognize",
                        "built-in sources say how their raw records are recognised",
                    );
                    ok = false;
                }
                if !ok {
                    return None;
                }
                Source {
                    description: String::new(),
                    logsource: IndexMap::new(),
                    timestamp: None,
                    record: None,
                    recognize: None,
                    fields: IndexMap::new(),
                    targets: IndexMap::new(),
                }
            }
        };
        if let Some(d) = p.description {
            src.description = d;
        }
        if let Some(l) = p.logsource {
            src.logsource = l;
        }
        if let Some(t) = p.timestamp {
            src.timestamp = Some(t);
        }
        if let Some(r) = p.record {
            src.record = Some(r);
        }
        if let Some(r) = p.recognize {
            src.recognize = Some(r);
        }
        for (set, _) in &p.uses {
            match cat.field_sets.get(set) {
                Some(fields) => {
                    for (f, d) in fields {
                        src.fields.entry(f.clone()).or_insert_with(|| d.clone());
                    }
                }
                None => {
                    self.errors.push(CatalogError::UnknownName {
                        place: Self::place(&path),
                        what: "field set",
                        name: set.clone(),
                        span: self.span(&["sources", name, "use"]),
                        help: suggest(set, cat.field_sets.keys().map(String::as_str)),
                    });
                }
            }
        }
        for (f, d) in p.fields {
            src.fields.insert(f, d);
        }
        for (key, tp) in p.targets {
            let t = src.targets.entry(key).or_default();
            merge_target(t, tp);
        }
        self.validate(name, &src, cat);
        Some(src)
    }

    fn validate(&mut self, name: &str, src: &Source, cat: &Catalog) {
        if src.fields.is_empty() {
            self.missing(&["sources", name], "fields", "the source's typed fields");
        }
        let fields: Vec<&str> = src.fields.keys().map(String::as_str).collect();
        let unknown = |r: &mut Self, path: &[&str], field: &str| {
            r.errors.push(CatalogError::UnknownField {
                place: Self::place(path),
                name: field.to_string(),
                source_name: name.to_string(),
                span: r.span(path),
                help: suggest(field, fields.iter().copied()),
            });
        };
        if let Some(ts) = &src.timestamp {
            if !src.fields.contains_key(ts) {
                unknown(self, &["sources", name, "timestamp"], ts);
            }
        }
        if let Some(rec) = &src.record {
            if !cat.records.contains_key(rec) {
                self.errors.push(CatalogError::UnknownName {
                    place: Self::place(&["sources", name]),
                    what: "record shape",
                    name: rec.clone(),
                    span: self.span(&["sources", name, "record"]),
                    help: suggest(rec, cat.records.keys().map(String::as_str)),
                });
            }
        }
        for (key, t) in &src.targets {
            for f in t.fields.keys() {
                if !src.fields.contains_key(f) {
                    unknown(self, &["sources", name, "targets", key, "fields", f], f);
                }
            }
        }
    }
}

fn merge_target(t: &mut TargetSource, p: TargetPatch) {
    macro_rules! take {
        ($($k:ident),*) => { $( if p.$k.is_some() { t.$k = p.$k; } )* };
    }
    take!(unavailable, table, base, index, timestamp, filter, template);
    if let Some(r) = p.recognize {
        t.recognize = r;
    }
    for (f, m) in p.fields {
        t.fields.insert(f, m);
    }
}

/// `a.b_c`: what a rule's `source` line can name.
fn is_dotted_name(s: &str) -> bool {
    s.split('.').all(|seg| {
        let mut cs = seg.chars();
        cs.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Where the key at `path` is written: (byte offset, length), or (0, 0) when not found.
/// Follows block maps by indentation and flow maps (`{a: b}`) on one line.
pub(super) fn locate(text: &str, path: &[&str]) -> (usize, usize) {
    let mut from = 0usize;
    let mut parent_indent: Option<usize> = None;
    let mut found = (0, 0);
    for seg in path {
        let mut hit = None;
        let mut pos = from;
        for line in text[from..].split_inclusive('\n') {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let content = trimmed.trim_end();
            if content.is_empty() || content.starts_with('#') {
                pos += line.len();
                continue;
            }
            if pos > from {
                if let Some(pi) = parent_indent {
                    if indent <= pi {
                        break;
                    }
                }
            }
            if let Some(at) = key_in_line(line, seg) {
                hit = Some((pos + at, seg.len(), indent));
                break;
            }
            pos += line.len();
        }
        match hit {
            Some((at, len, indent)) => {
                found = (at, len);
                from = at;
                parent_indent = Some(indent);
            }
            None => return found,
        }
    }
    found
}

/// The offset of `key:` (bare or quoted) in `line`, at a key position.
fn key_in_line(line: &str, key: &str) -> Option<usize> {
    for quote in ["", "'", "\""] {
        let pat = format!("{quote}{key}{quote}:");
        let mut start = 0;
        while let Some(i) = line[start..].find(&pat) {
            let at = start + i;
            let before = line[..at].trim_end();
            let ok = before.is_empty()
                || before.ends_with('{')
                || before.ends_with(',')
                || before.ends_with("- ")
                || before == "-";
            if ok {
                return Some(at + quote.len());
            }
            start = at + 1;
        }
    }
    None
}

/// Where the value `text` of the key at `key_at` starts (for labels inside it).
fn value_offset(file: &str, key_at: usize, text: &str) -> usize {
    let probe: String = text.chars().take(12).collect();
    file[key_at..]
        .find(&probe)
        .map(|i| key_at + i)
        .unwrap_or(key_at)
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_block_and_flow_keys() {
        let t = "sources:\n  a.b:\n    fields:\n      X: string\n    targets:\n      kql.sentinal: {table: T}\n  c.d:\n    fields: {Y: {type: nope}}\n";
        let (at, len) = locate(t, &["sources", "a.b", "targets", "kql.sentinal"]);
        assert_eq!(&t[at..at + len], "kql.sentinal");
        let (at, _) = locate(t, &["sources", "c.d", "fields", "Y", "type"]);
        assert!(t[at..].starts_with("type: nope"));
        let (at, _) = locate(t, &["sources", "c.d", "fields", "X"]);
        assert!(
            t[at..].starts_with("fields"),
            "falls back to the deepest key found"
        );
    }
}
