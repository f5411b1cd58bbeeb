//! Host data from the host's side: binding an `extern val` to the host's
//! memory (c-api 48) and a host struct's layout as JSON (c-api 54).

use std::sync::atomic::Ordering;

use super::catalog::Catalog;
use super::manager::Manager;
use crate::error::{Error, Result};
use crate::util::{names, sync};

impl Manager {
    /// Binds the `extern val` `name` to `count` structs at `address`, which
    /// the host keeps valid (and writable) while calls may use them. A
    /// single struct takes count 1 (or NULL and 0, which unbinds it); an
    /// array any count, and NULL with 0 is bound and empty. The next read
    /// of the binding, by any thread, sees the new one.
    pub fn bind_struct(&self, name: &str, address: usize, count: usize) -> Result<()> {
        let catalog = sync::read(&self.catalog);
        let entry = catalog.extern_vals.get(name).ok_or_else(|| not_declared(&catalog, name))?;
        let (ty, array) = (entry.ty, entry.array);
        if address == 0 && count > 0 {
            return Err(Error::InvalidArgument(format!("bind `{name}`: a NULL address with count {count}")));
        }
        if !array && count > 1 {
            return Err(Error::InvalidArgument(format!(
                "bind `{name}`: it is declared `extern val {name}: {}`, one struct, so the count is 1 (or 0 to unbind), not {count}",
                ty.name()
            )));
        }
        if address % ty.align() as usize != 0 {
            return Err(Error::InvalidArgument(format!(
                "bind `{name}`: address {address:#x} is not aligned to {} bytes, as a {} is",
                ty.align(),
                ty.name()
            )));
        }
        if array && count.checked_mul(ty.size() as usize).is_none_or(|bytes| bytes > isize::MAX as usize) {
            return Err(Error::InvalidArgument(format!("bind `{name}`: {count} structs do not fit in memory")));
        }
        let address = match (address, array) {
            // An empty array is bound: reads see length 0, not "unbound".
            (0, true) => ty.align() as usize,
            _ => address,
        };
        let count = if array { count } else { usize::from(address != 0) };
        // The count first: a reader that sees the new address after a
        // rebinding from one thread sees a count meant for it, as long as
        // the host rebinds only between calls that use the binding (the
        // rule docs/language.md states for other threads' calls).
        entry.cell.count.store(count, Ordering::Release);
        entry.cell.addr.store(address, Ordering::Release);
        Ok(())
    }

    /// The layout of the host struct `name`, as JSON:
    /// `{"size": N, "align": N, "fields": [{"name": "x", "type": "f64", "offset": 0}, ...]}`.
    pub fn struct_layout(&self, name: &str) -> Result<String> {
        let catalog = sync::read(&self.catalog);
        let Some(ty) = catalog.host_structs.get(name) else {
            let hint = names::hint(name, catalog.host_structs.keys().map(String::as_str));
            return Err(Error::NotFound(format!("no extern struct named `{name}`{hint}")));
        };
        let fields: Vec<String> = ty
            .fields()
            .iter()
            .map(|f| format!(r#"{{"name": "{}", "type": "{}", "offset": {}}}"#, f.name, f.ty.name(), f.offset))
            .collect();
        Ok(format!(r#"{{"size": {}, "align": {}, "fields": [{}]}}"#, ty.size(), ty.align(), fields.join(", ")))
    }
}

fn not_declared(catalog: &Catalog, name: &str) -> Error {
    let hint = names::hint(name, catalog.extern_vals.keys().map(String::as_str));
    Error::NotFound(format!("no extern val named `{name}` (declare it with `extern val {name}: T`){hint}"))
}
