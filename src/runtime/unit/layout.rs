//! Where the names of the unit being compiled live, as the backend and
//! the passes see them: the unit's own functions and globals (with their
//! new cells), then the manager's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::abi::Binding;
use crate::backend::{Callee, ExternCell, Layout};
use crate::mir::{self, Signature, Ty};
use crate::runtime::catalog::Catalog;
use crate::runtime::cells::CellId;
use crate::runtime::helpers::text::OwnedText;
use crate::runtime::store::Store;

/// The cells a unit's functions and globals have, in the module's order.
pub(super) struct UnitCells {
    pub functions: Vec<CellId>,
    pub globals: Vec<CellId>,
    /// The binding cells of the unit's `extern val`s.
    pub extern_vals: Vec<Arc<Binding>>,
}

pub(super) struct UnitLayout<'a> {
    pub store: &'a Store,
    pub catalog: &'a Catalog,
    /// The unit's functions: function-table cell and signature.
    pub functions: HashMap<&'a str, (CellId, &'a Signature)>,
    /// Host functions the unit declares `extern`.
    pub externs: HashMap<&'a str, &'a Signature>,
    /// The unit's globals: cell and type.
    pub globals: HashMap<&'a str, (CellId, Ty)>,
    /// The unit's `extern val`s and host structs.
    pub extern_vals: HashMap<&'a str, ExternCell>,
    pub host_structs: HashMap<&'a str, mir::HostTy>,
    /// Text literals made for the code compiled so far, by value.
    pub literals: RefCell<HashMap<String, OwnedText>>,
}

impl<'a> UnitLayout<'a> {
    /// `cells` are the unit's own: one per function and one per global, in
    /// the module's order.
    pub fn new(store: &'a Store, catalog: &'a Catalog, module: &'a mir::Module, cells: &UnitCells) -> UnitLayout<'a> {
        let functions = module.functions.iter().zip(&cells.functions).map(|(f, id)| (f.name.as_str(), (*id, &f.sig)));
        let globals = module.globals.iter().zip(&cells.globals).map(|(g, id)| (g.name.as_str(), (*id, g.ty)));
        UnitLayout {
            store,
            catalog,
            functions: functions.collect(),
            externs: module.externs.iter().map(|e| (e.name.as_str(), &e.sig)).collect(),
            globals: globals.collect(),
            extern_vals: module
                .extern_vals
                .iter()
                .zip(&cells.extern_vals)
                .map(|(v, cell)| (v.name.as_str(), binding_cell(cell, v.ty)))
                .collect(),
            host_structs: module.host_structs.iter().map(|h| (h.ty.name(), h.ty)).collect(),
            literals: RefCell::new(HashMap::new()),
        }
    }

    /// The literals made so far, which the compiled code will own.
    pub fn take_literals(&self) -> Vec<OwnedText> {
        self.literals.borrow_mut().drain().map(|(_, text)| text).collect()
    }
}

fn binding_cell(cell: &Arc<Binding>, ty: mir::HostTy) -> ExternCell {
    ExternCell { addr: Arc::as_ptr(cell) as usize, elem_size: ty.size() }
}

impl Layout for UnitLayout<'_> {
    fn extern_cell(&self, name: &str) -> Option<ExternCell> {
        if let Some(cell) = self.extern_vals.get(name) {
            return Some(*cell);
        }
        self.catalog.extern_vals.get(name).map(|e| binding_cell(&e.cell, e.ty))
    }

    fn host_struct(&self, name: &str) -> Option<mir::HostTy> {
        self.host_structs.get(name).copied().or_else(|| self.catalog.host_struct(name))
    }

    fn callee(&self, name: &str) -> Option<Callee> {
        if let Some((id, sig)) = self.functions.get(name) {
            return Some(Callee::Jit { table_cell: self.store.functions.cell_ref(*id).addr(), sig: (*sig).clone() });
        }
        if let Some(sig) = self.externs.get(name) {
            let host = self.catalog.hosts.get(name)?;
            let table_cell = self.store.hosts.cell_ref(host.cell).addr();
            return Some(Callee::Host { table_cell, sig: (*sig).clone(), with_data: host.with_data });
        }
        let f = self.catalog.functions.get(name)?;
        Some(Callee::Jit { table_cell: self.store.functions.cell_ref(f.id).addr(), sig: f.sig.clone() })
    }

    fn global_cell(&self, name: &str) -> Option<(usize, Ty)> {
        if let Some((id, ty)) = self.globals.get(name) {
            return Some((self.store.globals.cell_ref(*id).addr(), *ty));
        }
        self.catalog.globals.get(name).map(|g| (g.cell.addr(), g.ty))
    }

    fn function_id(&self, name: &str) -> Option<u32> {
        self.functions.get(name).map(|(id, _)| id.0)
    }

    fn text_literal(&self, value: &str) -> Option<usize> {
        let mut literals = self.literals.borrow_mut();
        if let Some(text) = literals.get(value) {
            return Some(text.as_ptr() as usize);
        }
        let text = OwnedText::new(value)?;
        let addr = text.as_ptr() as usize;
        literals.insert(value.to_string(), text);
        Some(addr)
    }
}
