//! `str` of any value and `print`: one formatter for JIT code and the
//! host (`[1, 2]`, `[1.5]`, `["a", "b"]`: texts inside a container are
//! quoted, as Python's `repr` writes them).

use std::fmt::Write as _;
use std::io::Write as _;

use super::array::{self, RtArray};
use super::map;
use super::text::{self, RtText};
use crate::abi::ExecCtx;
use crate::mir::{ObjTy, Ty};
use crate::runtime::limits::Budget;
use crate::util::escape;

/// Appends the text of value `bits` of type `t`; `nested` quotes texts.
///
/// # Safety
/// `bits` is a borrowed value of type `t`.
pub unsafe fn write_value(out: &mut String, t: Ty, bits: u64, nested: bool) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match t {
            Ty::F64 => write!(out, "{:?}", f64::from_bits(bits)),
            Ty::F32 => write!(out, "{:?}", f32::from_bits(bits as u32) as f64),
            Ty::Bool => write!(out, "{}", bits & 1 != 0),
            Ty::I8 => write!(out, "{}", bits as i8),
            Ty::I16 => write!(out, "{}", bits as i16),
            Ty::I32 => write!(out, "{}", bits as i32),
            Ty::I64 | Ty::Ptr => write!(out, "{}", bits as i64),
            Ty::Text => {
                let s = text::text_str(bits as *const RtText);
                if nested {
                    out.push_str(&escape::quote(s));
                } else {
                    out.push_str(s);
                }
                Ok(())
            }
            Ty::Obj(o) if o.map_types().is_some() => {
                let p = bits as *const map::RtMap;
                let (k, v) = o.map_types().unwrap_or((Ty::I64, Ty::I64));
                out.push('{');
                for i in 0..map::len(p) {
                    let Some((key, value)) = map::entry(p, i) else { break };
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_value(out, k, key, true);
                    out.push_str(": ");
                    write_value(out, v, value, true);
                }
                out.push('}');
                Ok(())
            }
            Ty::Obj(o) if o.fields().is_some() => {
                let p = bits as *const RtArray;
                out.push_str(o.name());
                out.push('(');
                for (i, f) in o.fields().unwrap_or(&[]).iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&f.name);
                    out.push_str(": ");
                    write_value(out, f.ty, array::read_or_zero(p, i), true);
                }
                out.push(')');
                Ok(())
            }
            Ty::Obj(o) => {
                let p = bits as *const RtArray;
                let elem = o.elem().unwrap_or(Ty::I64);
                out.push('[');
                for i in 0..array::len(p) {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_value(out, elem, array::read(p, i), true);
                }
                out.push(']');
                Ok(())
            }
        }
        .unwrap_or(());
    }
}

/// `str` of an array of type `ty` (an address): a new text reference.
///
/// # Safety
/// `ctx` is the running call's context; `p` is NULL or a borrowed array.
pub unsafe extern "C" fn obj_to_text(ctx: *mut ExecCtx, ty: usize, p: *const RtArray) -> *mut RtText {
    let mut s = String::new();
    // SAFETY: forwarded from the caller.
    unsafe {
        write_value(&mut s, Ty::Obj(ObjTy::from_addr(ty)), p as u64, false);
        text::make_in(ctx, &[s.as_bytes()])
    }
}

/// `print t`: gives the text to the manager's print handler, or writes it
/// and a newline on stdout (a closed or failing stdout loses the line; it
/// never fails the call).
///
/// # Safety
/// `ctx` is the running call's context; `t` is NULL or a borrowed text.
pub unsafe extern "C" fn print(ctx: *mut ExecCtx, t: *const RtText) {
    // SAFETY: forwarded from the caller.
    let s = unsafe { text::text_str(t) };
    // SAFETY: as above; the budget outlives the call.
    let budget = unsafe { ctx.as_ref().and_then(|c| (c.budget as *const Budget).as_ref()) };
    let handler = budget.and_then(|b| crate::util::sync::read(&b.limits.print).clone());
    if let Some(h) = handler {
        // A panic in a Rust handler must not unwind into JIT frames.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(s)));
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
}
