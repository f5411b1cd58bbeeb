//! The one valgrind client request rtjit makes, by valgrind.h's mechanism:
//! a sequence of rotations of `rdi` by 128 bits in all (no effect) and
//! `xchg rbx, rbx` (no effect), which valgrind recognises and answers.
//! Outside valgrind it costs a few instructions and changes nothing; on
//! other architectures it is not made.
//!
//! Why: the stack scan (`runtime::scan`) reads every word of other frames,
//! padding and unused slots too, and compares them with code addresses;
//! memcheck reported those compares as uses of uninitialised values (one
//! run of `ffi-tests/threads.c` in five, depending on what the frames
//! held). Marking the scan's own copy of the words defined tells memcheck
//! that reading them as mere numbers is intended, without hiding anything
//! about the frames themselves.

/// `VG_USERREQ__MAKE_MEM_DEFINED` (memcheck.h: the tool base 'M', 'C',
/// then the third request).
#[cfg(target_arch = "x86_64")]
const MAKE_MEM_DEFINED: u64 = (0x4d << 24 | 0x43 << 16) + 2;

/// Tells memcheck that the `len` bytes at `addr` hold defined values.
pub fn make_defined(addr: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let args: [u64; 6] = [MAKE_MEM_DEFINED, addr as u64, len as u64, 0, 0, 0];
        let mut result: u64 = 0;
        // SAFETY: the sequence leaves every register as it was (the
        // rotations of rdi add up to 128 bits; xchg of rbx with itself),
        // except rdx, which valgrind sets to the request's result and which
        // is declared as an output; it reads `args` only under valgrind,
        // which then updates its own shadow state and no program memory.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                inout("rdx") result,
                in("rax") args.as_ptr(),
                inout("rdi") 0u64 => _,
                options(nostack, preserves_flags),
            );
        }
        let _ = result;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (addr, len);
}
