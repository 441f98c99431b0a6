//! What the server knows: the open documents, the catalog, and for one document the
//! program the compiler would load for it (the document and its imports, open documents
//! read from the editor, the others from disk).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::SystemTime;

use lsp_types::Uri;

use crate::catalog::Catalog;
use crate::driver::{self, display_path, FileDiagnostic, Program};

use super::uri;

/// An open document.
pub struct Doc {
    /// Its text as the editor has it.
    pub text: String,
    /// The path its URI names.
    pub path: PathBuf,
}

/// The catalog in use: the built-in one with the user's file over it (when it loads).
pub struct CatalogState {
    /// The user's catalog file, if one was configured.
    pub path: Option<PathBuf>,
    /// When that file was last read (it is re-read when it changes).
    stamp: Option<SystemTime>,
    /// The catalog rules are checked against.
    pub catalog: Arc<Catalog>,
    /// The same with every target's derived sections, for describing fields.
    pub described: Arc<Catalog>,
    /// The problems of the user's file (the built-in catalog is used while there are any).
    pub problems: Vec<FileDiagnostic>,
}

impl CatalogState {
    /// The built-in catalog, with `path` over it when given.
    pub fn new(path: Option<PathBuf>) -> CatalogState {
        let mut s = CatalogState {
            path,
            stamp: None,
            catalog: Catalog::builtin_shared(),
            described: Arc::new(crate::targets::with_derived_sections(
                &Catalog::builtin_shared(),
            )),
            problems: Vec::new(),
        };
        s.refresh();
        s
    }

    /// Re-read the user's file if it changed on disk; `true` when the catalog changed.
    pub fn refresh(&mut self) -> bool {
        let Some(p) = self.path.clone() else {
            return false;
        };
        let stamp = std::fs::metadata(&p).and_then(|m| m.modified()).ok();
        if stamp.is_some() && stamp == self.stamp {
            return false;
        }
        self.stamp = stamp;
        let origin = p.to_string_lossy().into_owned();
        let loaded = match std::fs::read_to_string(&p) {
            Ok(text) => driver::load_catalog(Some((&text, &origin))),
            Err(e) => Err(vec![FileDiagnostic {
                path: origin.clone(),
                text: Arc::from(""),
                error: driver::LoadError::Unreadable {
                    path: origin.clone(),
                    reason: e.to_string(),
                }
                .into(),
            }]),
        };
        let cat = match loaded {
            Ok(c) => {
                self.problems.clear();
                Arc::new(c)
            }
            Err(problems) => {
                self.problems = problems;
                Catalog::builtin_shared()
            }
        };
        self.described = Arc::new(crate::targets::with_derived_sections(&cat));
        self.catalog = cat;
        true
    }
}

/// The open documents and the catalog.
pub struct Workspace {
    /// Open documents by URI (changed through [`Workspace::open`] and [`Workspace::close`]).
    docs: BTreeMap<Uri, Doc>,
    /// The catalog.
    pub catalog: CatalogState,
    /// Each document's loaded program, until a document changes (one edit can change what
    /// another document imports).
    programs: RefCell<HashMap<Uri, Rc<Program>>>,
}

impl Workspace {
    /// No open documents; the catalog from `catalog` over the built-in one.
    pub fn new(catalog: Option<PathBuf>) -> Workspace {
        Workspace {
            docs: BTreeMap::new(),
            catalog: CatalogState::new(catalog),
            programs: RefCell::new(HashMap::new()),
        }
    }

    /// Open a document, or replace its text.
    pub fn open(&mut self, uri: Uri, text: String) {
        let path = uri::to_path(&uri);
        self.docs.insert(uri, Doc { text, path });
        self.programs.get_mut().clear();
    }

    /// Close a document.
    pub fn close(&mut self, uri: &Uri) {
        self.docs.remove(uri);
        self.programs.get_mut().clear();
    }

    /// The open documents.
    pub fn docs(&self) -> &BTreeMap<Uri, Doc> {
        &self.docs
    }

    /// The text of a file: the editor's if it is open, else the disk's.
    pub fn read(&self, p: &Path) -> std::io::Result<String> {
        let want = display_path(p);
        match self.docs.values().find(|d| display_path(&d.path) == want) {
            Some(d) => Ok(d.text.clone()),
            None => std::fs::read_to_string(p),
        }
    }

    /// The program the compiler loads for document `uri`: it is file 0, its imports follow.
    pub fn program(&self, uri: &Uri) -> Option<Rc<Program>> {
        if let Some(p) = self.programs.borrow().get(uri) {
            return Some(Rc::clone(p));
        }
        let doc = self.docs.get(uri)?;
        let prog = Rc::new(Program::from_texts(
            vec![(doc.path.clone(), doc.text.clone())],
            &|p| self.read(p),
        ));
        self.programs
            .borrow_mut()
            .insert(uri.clone(), Rc::clone(&prog));
        Some(prog)
    }

    /// The URI of a file of a program, as diagnostics and locations name it.
    pub fn uri_of(&self, display: &str) -> Option<Uri> {
        let want = display_path(Path::new(display));
        self.docs
            .iter()
            .find(|(_, d)| display_path(&d.path) == want)
            .map(|(u, _)| u.clone())
            .or_else(|| uri::from_path(Path::new(display)))
    }
}
