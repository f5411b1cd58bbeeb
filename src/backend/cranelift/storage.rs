//! What `mir::storage` knows about an object local, used where code is
//! generated: a write to a local known unique skips its copy-on-write
//! check (and `aown` of one is nothing), and an array fixed in a loop has
//! its length read once, at the end of the loop's preheader, into a
//! variable the loop's bounds checks compare with.

use cranelift_codegen::ir::{InstBuilder, Value, types};

use super::function::Translator;
use crate::backend::CodegenError;
use crate::backend::lowering::MirView;
use crate::mir::Operand;

impl Translator<'_, '_> {
    /// Whether `o` is a local whose storage is known to be its own.
    pub(super) fn known_unique(&self, o: &Operand) -> bool {
        matches!(o, Operand::Local(l) if self.storage.unique.contains(*l))
    }

    /// The length of array `o` when it is fixed in the loop being
    /// translated (read in the loop's preheader).
    pub(super) fn known_len(&mut self, o: &Operand) -> Option<Value> {
        let Operand::Local(l) = o else { return None };
        if !self.storage.is_fixed(*l) {
            return None;
        }
        let var = self.storage.length_var(*l)?;
        Some(self.b.use_var(var))
    }

    /// Reads the lengths block `b` measures, for the loop it enters.
    pub(super) fn measure_fixed(&mut self, b: usize) {
        for (a, var) in self.storage.measured_in(b) {
            let p = self.local(a);
            let len = self.array_len(p);
            self.b.def_var(var, len);
        }
    }

    /// `aown a`: the ownership step of a write, unless `a` is known unique.
    pub(super) fn own(&mut self, args: &[Operand], line: u32) -> Result<(), CodegenError> {
        if self.known_unique(&args[0]) {
            return Ok(());
        }
        let obj = self.ty_of(&args[0]).obj().ok_or_else(|| self.invariant("aown of a scalar"))?;
        let ty_addr = self.b.ins().iconst(types::I64, obj.addr() as i64);
        if obj.fields().is_some() {
            self.own_record(&args[0], ty_addr, line)?;
        } else if obj.map_types().is_some() {
            self.own_map(&args[0], ty_addr, line)?;
        } else {
            self.own_storage(args, ty_addr, line)?;
        }
        Ok(())
    }
}
