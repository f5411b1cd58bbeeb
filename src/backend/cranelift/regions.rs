//! Alias regions (type-based alias analysis) for the memory of objects, so
//! that Cranelift's redundant-load elimination can keep a value loaded
//! across stores that cannot change it: a field write (`bs[i].vx = v`, a
//! store of an f64) leaves the array's element pointers and every header
//! as they were, so the next `bs[i].x` reuses the pointer it loaded.
//!
//! Four regions and one per host field, each a set of locations that no access outside it
//! touches while a function runs:
//!
//! - **header**: an object's reference count, length and capacity;
//! - **scalar slots**: elements and fields holding numbers and booleans;
//! - **reference slots**: elements and fields holding managed values;
//! - **extern bindings**: the cells holding what the host bound to an
//!   `extern val` (its address and count), which JIT code only reads;
//! - **host fields**: one region per field of a host struct.
//!
//! A slot's type is fixed for the life of its object, and memory is only
//! reused after the runtime frees it, inside a helper call, which
//! Cranelift treats as touching every region. Everything else JIT code
//! reads (the context, global cells, texts, MIR's raw loads and stores,
//! which never reach object memory) has no region, which Cranelift keeps
//! apart from these.

use cranelift_codegen::ir::{self, AliasRegionData, MemFlagsData};

use crate::mir::{HostTy, Ty};

/// Which part of an object an access touches.
#[derive(Clone, Copy)]
pub(super) enum Part {
    Header,
    /// A slot holding a value of this type.
    Slot(Ty),
}

/// The function's three object regions.
pub(super) struct Regions {
    header: ir::AliasRegion,
    scalar: ir::AliasRegion,
    reference: ir::AliasRegion,
    binding: ir::AliasRegion,
    /// One region per field of a host struct, made when first accessed.
    host_fields: Vec<((HostTy, usize), ir::AliasRegion)>,
}

impl Regions {
    pub fn new(func: &mut ir::Function) -> Regions {
        let mut region = |user_id: u32, description: &'static str| {
            func.dfg.alias_regions.insert(AliasRegionData { user_id, description: description.into() })
        };
        Regions {
            header: region(1, "object header"),
            scalar: region(2, "scalar slot"),
            reference: region(3, "reference slot"),
            binding: region(4, "extern binding"),
            host_fields: Vec::new(),
        }
    }

    /// The flags of an access to `part` of an object: trusted (aligned,
    /// never trapping: JIT code checks before it accesses) in its region.
    pub fn flags(&self, part: Part) -> MemFlagsData {
        let region = match part {
            Part::Header => self.header,
            Part::Slot(t) if t.is_managed() => self.reference,
            Part::Slot(_) => self.scalar,
        };
        MemFlagsData::trusted().with_alias_region(Some(region))
    }

    /// The flags of a read of an `extern val`'s binding cell: JIT code
    /// never writes one (the runtime does, between calls or inside a host
    /// function, which Cranelift treats as touching every region), so a
    /// store to host memory leaves the binding loaded.
    pub fn binding(&self) -> MemFlagsData {
        MemFlagsData::trusted().with_alias_region(Some(self.binding))
    }

    /// The flags of an access to field `k` of host struct `ty`: trusted
    /// (the host keeps what it bound valid; JIT code has checked the
    /// binding and the index) in the field's own region. As C compilers
    /// assume of typed accesses ("strict aliasing"), two fields never share
    /// bytes, and host memory is reached only through its fields (a host
    /// function, which may change anything, is a call: every region).
    pub fn host_field(&mut self, func: &mut ir::Function, ty: HostTy, k: usize) -> MemFlagsData {
        let region = match self.host_fields.iter().find(|(key, _)| *key == (ty, k)) {
            Some((_, r)) => *r,
            None => {
                let user_id = 16 + self.host_fields.len() as u32;
                let r = func.dfg.alias_regions.insert(AliasRegionData { user_id, description: "host field".into() });
                self.host_fields.push(((ty, k), r));
                r
            }
        };
        MemFlagsData::trusted().with_alias_region(Some(region))
    }
}
