//! A rule's `detection`: named selections, their maps and lists, and the groups of items they hold.

use super::*;

impl Reader<'_> {
    /// The detection: the expression and the type of every field.
    pub(super) fn detection(
        &mut self,
        det: &serde_json::Map<String, Value>,
        det_at: usize,
    ) -> Option<(Expr, IndexMap<String, FieldType>)> {
        let before = self.errors.len();
        if det.contains_key("timeframe") {
            self.errors.push(SigmaInError::Aggregation {
                what: "timeframe".into(),
                span: sp(self.at(det_at, "timeframe")),
            });
        }
        let mut sels: IndexMap<String, (Selection, Span)> = IndexMap::new();
        for (name, def) in det {
            if name == "condition" || name == "timeframe" {
                continue;
            }
            let at = self.at(det_at, &format!("{name}:"));
            if let Some(s) = self.selection(name, def, at) {
                sels.insert(name.clone(), (s, at));
            }
        }
        let cond_at = self.at(det_at, "condition");
        let conds = match conditions(det.get("condition"), cond_at) {
            Ok(c) => c,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        if self.errors.len() > before {
            return None;
        }
        let types = self.field_types(&sels);
        if self.errors.len() > before {
            return None;
        }
        let built = self.build_selections(&sels, &types);
        if self.errors.len() > before {
            return None;
        }
        let mut alts = Vec::new();
        for c in &conds {
            let span = self.at(cond_at.start, c);
            match Cond::new(c, &built, span).parse() {
                Ok(e) => alts.push(e),
                Err(e) => {
                    self.errors.push(e);
                    return None;
                }
            }
        }
        Some((or(alts), types))
    }

    /// The field types of a detection: a field is a number when compared with lt/gt…, or
    /// only with numbers; a field both compared and used as text is an error.
    fn field_types(
        &mut self,
        sels: &IndexMap<String, (Selection, Span)>,
    ) -> IndexMap<String, FieldType> {
        let mut numeric: IndexMap<String, (bool, bool, bool, Span)> = IndexMap::new(); // (cmp, num_eq, stringy)
        let keyword_fields = self.keyword_fields.clone().unwrap_or_default();
        for (sel, _) in sels.values() {
            for item in sel.iter().flatten() {
                if item.keyword {
                    for f in &keyword_fields {
                        numeric
                            .entry(f.clone())
                            .or_insert((false, false, false, item.span))
                            .2 = true;
                    }
                    continue;
                }
                let e = numeric
                    .entry(item.field.clone())
                    .or_insert((false, false, false, item.span));
                e.0 |= matches!(item.op, Op::Cmp(_));
                e.1 |= item.numeric_eq();
                e.2 |= item.stringy();
                if let Op::FieldRef = item.op {
                    for v in &item.values {
                        if let Scalar::Str(o) = v {
                            let f = numeric
                                .entry(o.clone())
                                .or_insert((false, false, true, item.span));
                            f.2 = true;
                        }
                    }
                }
            }
        }
        let mut types = IndexMap::new();
        for (f, (cmp, num_eq, stringy, span)) in &numeric {
            if *cmp && *stringy {
                self.errors.push(SigmaInError::TypeConflict {
                    field: f.clone(),
                    span: sp(*span),
                });
                continue;
            }
            let ty = if *cmp || (*num_eq && !*stringy) {
                FieldType::Number
            } else {
                FieldType::String
            };
            types.insert(f.clone(), ty);
        }
        types
    }

    /// Each selection's expression, by name (a selection whose items all failed is left
    /// out; its errors are reported).
    fn build_selections(
        &mut self,
        sels: &IndexMap<String, (Selection, Span)>,
        types: &IndexMap<String, FieldType>,
    ) -> IndexMap<String, Expr> {
        let mut built: IndexMap<String, Expr> = IndexMap::new();
        for (name, (sel, _)) in sels {
            let mut alts = Vec::new();
            for group in sel {
                let mut parts = Vec::new();
                for item in group {
                    if let Some(e) = self.item(item, types) {
                        parts.push(e);
                    }
                }
                if !parts.is_empty() {
                    alts.push(and(parts));
                }
            }
            if !alts.is_empty() {
                built.insert(name.clone(), or(alts));
            }
        }
        built
    }

    /// One selection: a map (AND of items) or a list of maps (OR).
    pub(super) fn selection(&mut self, name: &str, def: &Value, at: Span) -> Option<Selection> {
        let keywords = |at: Span| SigmaInError::Keywords {
            selection: name.to_string(),
            span: sp(at),
        };
        match def {
            Value::Object(m) => {
                let g = self.group(name, m, at)?;
                Some(vec![g])
            }
            Value::Array(xs)
                if !xs.is_empty()
                    && xs
                        .iter()
                        .all(|x| Scalar::of(x).is_some() && !x.is_null() && !x.is_boolean()) =>
            {
                match &self.keyword_fields {
                    Some(fields) if !fields.is_empty() => {
                        self.used_keywords = Some(at);
                        Some(keyword_groups(
                            fields,
                            xs.iter().filter_map(Scalar::of).collect(),
                            false,
                            at,
                        ))
                    }
                    _ => {
                        self.errors.push(keywords(at));
                        None
                    }
                }
            }
            Value::Array(xs) if !xs.is_empty() => {
                let mut out = Vec::new();
                for x in xs {
                    match x {
                        Value::Object(m) => out.push(self.group(name, m, at)?),
                        _ => {
                            self.errors.push(keywords(at));
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Value::String(_) | Value::Number(_) => match &self.keyword_fields {
                Some(fields) if !fields.is_empty() => {
                    self.used_keywords = Some(at);
                    Some(keyword_groups(
                        fields,
                        Scalar::of(def).into_iter().collect(),
                        false,
                        at,
                    ))
                }
                _ => {
                    self.errors.push(keywords(at));
                    None
                }
            },
            _ => {
                self.errors.push(SigmaInError::BadKey {
                    key: name.to_string(),
                    reason: "a selection must be a non-empty mapping or list of mappings".into(),
                    span: sp(at),
                });
                None
            }
        }
    }

    /// A map of field items (AND).
    pub(super) fn group(
        &mut self,
        name: &str,
        m: &serde_json::Map<String, Value>,
        at: Span,
    ) -> Option<Vec<Item>> {
        if m.is_empty() {
            self.errors.push(SigmaInError::BadKey {
                key: name.to_string(),
                reason: "an empty selection".into(),
                span: sp(at),
            });
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (key, v) in m {
            match self.parse_item(name, key, v, at.start) {
                Some(i) => out.push(i),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// The detection's `condition`: a string or a non-empty list of strings.
fn conditions(c: Option<&Value>, cond_at: Span) -> Result<Vec<String>, SigmaInError> {
    let bad = |reason: &str| SigmaInError::BadKey {
        key: "condition".into(),
        reason: reason.into(),
        span: sp(cond_at),
    };
    match c {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(xs)) if !xs.is_empty() => xs
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                _ => Err(bad("each condition must be a string")),
            })
            .collect(),
        _ => Err(bad(
            "the detection needs a string `condition` (or a list of them)",
        )),
    }
}
