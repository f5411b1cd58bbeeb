/*
 * The array benchmarks of docs/benchmarks.md ("Arrays") in LuaJIT, for the
 * side-by-side table: the same sum and sieve as examples/arrays_bench.rs.
 *
 *   gcc -O2 -o /tmp/arrays_luajit examples/arrays_luajit.c -lluajit-5.1 && /tmp/arrays_luajit
 *
 * (apt-get install libluajit-5.1-dev)
 */
#include <stdio.h>
#include <luajit-2.1/lua.h>
#include <luajit-2.1/lauxlib.h>
#include <luajit-2.1/lualib.h>
static const char *code =
"local n = 10000000\n"
"local a = {}\n"
"for i = 1, n do a[i] = i - 1 end\n"
"local function sum(a, n) local s = 0.0 for i = 1, n do s = s + a[i] end return s end\n"
"local best = 1e9\n"
"for r = 1, 5 do local t = os.clock(); local s = sum(a, n); t = os.clock() - t; if t < best then best = t end end\n"
"print(string.format('LuaJIT sum 1e7: %.2f ms', best * 1e3))\n"
"local function sieve(n) local f = {} for i = 1, n do f[i] = true end local k = 0\n"
"  for i = 2, n - 1 do if f[i] then k = k + 1 local j = i * i while j < n do f[j] = false j = j + i end end end return k end\n"
"best = 1e9\n"
"for r = 1, 3 do local t = os.clock(); local k = sieve(n); t = os.clock() - t; if t < best then best = t end; assert(k == 664579) end\n"
"print(string.format('LuaJIT sieve 1e7 (with fill): %.2f ms', best * 1e3))\n";
int main(void) { lua_State *L = luaL_newstate(); luaL_openlibs(L); if (luaL_dostring(L, code)) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 1; } lua_close(L); return 0; }
