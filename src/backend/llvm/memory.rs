//! The memory LLVM's MCJIT puts a compile's code and data in: mapped here
//! section by section, made executable or read-only when MCJIT finalizes,
//! and owned by the compiled code afterwards, so the engine (and its whole
//! LLVM context) is dropped as soon as the addresses are known and the
//! code is freed whole, with its unit (`CompiledCode::free`).
//!
//! If the system refuses the pages for a section, MCJIT aborts (it has no
//! way to fail an allocation); a compile asks for a few pages at most.

use std::sync::{Arc, Mutex, PoisonError};

use inkwell::memory_manager::McjitMemoryManager;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    Code,
    ReadOnly,
    ReadWrite,
}

#[derive(Debug)]
struct Region {
    addr: usize,
    len: usize,
    access: Access,
}

/// The sections of one compile.
#[derive(Debug, Default)]
pub(super) struct CodeMemory {
    regions: Vec<Region>,
    /// Why finalizing failed (a page protection the system refused).
    failed: Option<String>,
}

// SAFETY: the regions are plain mappings this process owns; nothing in
// them is tied to the thread that mapped them.
unsafe impl Send for CodeMemory {}

impl CodeMemory {
    /// The address ranges of the code sections, sorted.
    pub(super) fn code_ranges(&self) -> Vec<(usize, usize)> {
        let mut ranges: Vec<(usize, usize)> =
            self.regions.iter().filter(|r| r.access == Access::Code).map(|r| (r.addr, r.addr + r.len)).collect();
        ranges.sort_unstable();
        ranges
    }

    pub(super) fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    fn map(&mut self, size: usize, align: usize, access: Access) -> *mut u8 {
        let page = page_size();
        // Sections ask for at most a page's alignment; a larger one is
        // met by mapping more and rounding up.
        let extra = if align > page { align } else { 0 };
        let len = (size.max(1) + extra).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping; no existing memory is touched.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        self.regions.push(Region { addr: addr as usize, len, access });
        let start = (addr as usize).next_multiple_of(align.max(1));
        start as *mut u8
    }

    fn protect(&mut self) {
        for r in &self.regions {
            let prot = match r.access {
                Access::Code => libc::PROT_READ | libc::PROT_EXEC,
                Access::ReadOnly => libc::PROT_READ,
                Access::ReadWrite => continue,
            };
            // SAFETY: the region is a mapping of ours, of exactly this length.
            if unsafe { libc::mprotect(r.addr as *mut libc::c_void, r.len, prot) } != 0 {
                self.failed = Some(format!("mprotect failed: {}", std::io::Error::last_os_error()));
            }
        }
    }

    /// Unmaps every section.
    ///
    /// # Safety
    /// No code or data of these sections may be used afterwards.
    pub(super) unsafe fn free(&mut self) {
        for r in self.regions.drain(..) {
            // SAFETY: a mapping of ours, which the caller no longer uses.
            unsafe { libc::munmap(r.addr as *mut libc::c_void, r.len) };
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096).max(4096)
}

/// What MCJIT calls to place sections: a handle on the compile's
/// [`CodeMemory`], which the compile keeps the other handle of.
#[derive(Clone, Debug, Default)]
pub(super) struct Sections(pub Arc<Mutex<CodeMemory>>);

impl Sections {
    fn with<T>(&self, f: impl FnOnce(&mut CodeMemory) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The memory, once the engine that used this manager is gone.
    pub(super) fn take(&self) -> CodeMemory {
        self.with(std::mem::take)
    }
}

impl McjitMemoryManager for Sections {
    fn allocate_code_section(&mut self, size: usize, alignment: u32, _: u32, _: &str) -> *mut u8 {
        self.with(|m| m.map(size, alignment as usize, Access::Code))
    }

    fn allocate_data_section(&mut self, size: usize, alignment: u32, _: u32, _: &str, read_only: bool) -> *mut u8 {
        let access = if read_only { Access::ReadOnly } else { Access::ReadWrite };
        self.with(|m| m.map(size, alignment as usize, access))
    }

    fn finalize_memory(&mut self) -> Result<(), String> {
        self.with(|m| {
            m.protect();
            m.failed.clone().map_or(Ok(()), Err)
        })
    }

    // The memory outlives the engine: the compiled code owns it.
    fn destroy(&mut self) {}
}
