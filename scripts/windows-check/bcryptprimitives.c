/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Go binaries under Wine 8.
 *
 * Since Go 1.24 the runtime of a Windows binary loads bcryptprimitives.dll and calls its
 * ProcessPrng at start for random bytes; Wine 8 (Debian 12) has no such DLL, so every Go
 * 1.26 binary dies with "bcryptprimitives.dll not found". This DLL exports ProcessPrng and
 * answers it with RtlGenRandom (advapi32's SystemFunction036), which Wine has. It is built
 * with mingw-w64 and copied into the Wine prefix's system32 by scripts/windows-check/run.sh;
 * it is never shipped: real Windows (10 and later) has the real DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
