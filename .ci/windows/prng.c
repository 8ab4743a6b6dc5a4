/*
 * A stand-in for Windows' bcryptprimitives.dll, for running the Windows build's tests under
 * Wine 8 (Debian 12), which lacks that DLL: Rust's standard library takes its randomness from
 * ProcessPrng there, and every Rust program fails to start without it (exit status 53).
 *
 * It exports that one function and fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), as Windows itself would give random bytes. It can go once CI runs a Wine
 * that has bcryptprimitives.dll (Wine 9 and later ship it).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        /* RtlGenRandom takes a ULONG: fill in chunks. */
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
