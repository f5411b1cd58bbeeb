/*
 * The data benchmarks of docs/benchmarks.md (sum, sieve, word count,
 * n-body) in C -O2 and in LuaJIT, for the side-by-side table: the same
 * programs as examples/arrays_bench.rs and examples/data_bench.rs.
 *
 *   gcc -O2 -o /tmp/data_peers examples/data_peers.c -lluajit-5.1 -lm && /tmp/data_peers
 *
 * (apt-get install libluajit-5.1-dev). Word count in C is left out: C has
 * no standard map; the target for it is LuaJIT.
 */
#define _POSIX_C_SOURCE 200809L
#include <luajit-2.1/lauxlib.h>
#include <luajit-2.1/lua.h>
#include <luajit-2.1/lualib.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STEPS 10000000
#define N 10000000

typedef struct {
    double x, y, z, vx, vy, vz, mass;
} body;

static void advance(body *bs, int n, long steps) {
    const double dt = 0.01;
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double dx = bs[i].x - bs[j].x, dy = bs[i].y - bs[j].y, dz = bs[i].z - bs[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * sqrt(d2));
                double mj = bs[j].mass * mag;
                bs[i].vx -= dx * mj;
                bs[i].vy -= dy * mj;
                bs[i].vz -= dz * mj;
                double mi = bs[i].mass * mag;
                bs[j].vx += dx * mi;
                bs[j].vy += dy * mi;
                bs[j].vz += dz * mi;
            }
        }
        for (int i = 0; i < n; i++) {
            bs[i].x += dt * bs[i].vx;
            bs[i].y += dt * bs[i].vy;
            bs[i].z += dt * bs[i].vz;
        }
    }
}

static double energy(const body *bs, int n) {
    double e = 0;
    for (int i = 0; i < n; i++) {
        e += 0.5 * bs[i].mass * (bs[i].vx * bs[i].vx + bs[i].vy * bs[i].vy + bs[i].vz * bs[i].vz);
        for (int j = i + 1; j < n; j++) {
            double dx = bs[i].x - bs[j].x, dy = bs[i].y - bs[j].y, dz = bs[i].z - bs[j].z;
            e -= bs[i].mass * bs[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void init(body *bs) {
    const double pi = 3.141592653589793, solar = 4 * pi * pi, days = 365.24;
    const double v[5][7] = {
        {0, 0, 0, 0, 0, 0, 1},
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03,
         7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04},
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03,
         4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04},
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03,
         2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05},
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03,
         1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05}};
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++) {
        bs[i] = (body){v[i][0], v[i][1], v[i][2], v[i][3] * days, v[i][4] * days, v[i][5] * days, v[i][6] * solar};
        px += bs[i].vx * bs[i].mass;
        py += bs[i].vy * bs[i].mass;
        pz += bs[i].vz * bs[i].mass;
    }
    bs[0].vx = -px / bs[0].mass;
    bs[0].vy = -py / bs[0].mass;
    bs[0].vz = -pz / bs[0].mass;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The sieve of examples/arrays_bench.rs. */
static long sieve(long n) {
    bool *f = malloc((size_t)n);
    if (!f) return -1;
    for (long i = 0; i < n; i++) f[i] = true;
    long k = 0;
    for (long i = 2; i < n; i++) {
        if (f[i]) {
            k++;
            for (long j = i * i; j < n; j += i) f[j] = false;
        }
    }
    free(f);
    return k;
}

static const char *lua =
    "local function best(runs, f) local b = 1e18 for r = 1, runs do local t = os.clock(); f(); t = os.clock() - t\n"
    "  if t < b then b = t end end return b * 1e3 end\n"
    "local xs = {} for i = 0, 9999999 do xs[i + 1] = i end\n"
    "local s\n"
    "local ms = best(5, function() s = 0 for i = 1, #xs do s = s + xs[i] end end)\n"
    "assert(s == 49999995000000)\n"
    "print(string.format('LuaJIT sum 1e7: %.1f ms', ms))\n"
    "local k\n"
    "ms = best(3, function() local n = 10000000 local f = {} for i = 0, n - 1 do f[i] = true end k = 0\n"
    "  for i = 2, n - 1 do if f[i] then k = k + 1 local j = i * i while j < n do f[j] = false j = j + i end end end end)\n"
    "assert(k == 664579)\n"
    "print(string.format('LuaJIT sieve 1e7: %.1f ms', ms))\n"
    "local ws = {} for i = 0, 999999 do ws[i + 1] = 'w' .. ((i * 7919) % 10007) end\n"
    "local n = 0\n"
    "ms = best(5, function() local m = {} for _, w in ipairs(ws) do local c = m[w]\n"
    "  if c then m[w] = c + 1 else m[w] = 1 end end n = 0 for _ in pairs(m) do n = n + 1 end end)\n"
    "assert(n == 10007)\n"
    "print(string.format('LuaJIT word count 1e6: %.1f ms', ms))\n"
    "local pi, days = 3.141592653589793, 365.24 local solar = 4 * pi * pi\n"
    "local function sys() local v = {{0,0,0,0,0,0,1},\n"
    "  {4.84143144246472090e+00,-1.16032004402742839e+00,-1.03622044471123109e-01,1.66007664274403694e-03,7.69901118419740425e-03,-6.90460016972063023e-05,9.54791938424326609e-04},\n"
    "  {8.34336671824457987e+00,4.12479856412430479e+00,-4.03523417114321381e-01,-2.76742510726862411e-03,4.99852801234917238e-03,2.30417297573763929e-05,2.85885980666130812e-04},\n"
    "  {1.28943695621391310e+01,-1.51111514016986312e+01,-2.23307578892655734e-01,2.96460137564761618e-03,2.37847173959480950e-03,-2.96589568540237556e-05,4.36624404335156298e-05},\n"
    "  {1.53796971148509165e+01,-2.59193146099879641e+01,1.79258772950371181e-01,2.68067772490389322e-03,1.62824170038242295e-03,-9.51592254519715870e-05,5.15138902046611451e-05}}\n"
    "  local bs = {} local px, py, pz = 0, 0, 0\n"
    "  for i = 1, 5 do local a = v[i] bs[i] = {x=a[1], y=a[2], z=a[3], vx=a[4]*days, vy=a[5]*days, vz=a[6]*days, mass=a[7]*solar}\n"
    "    px = px + bs[i].vx * bs[i].mass py = py + bs[i].vy * bs[i].mass pz = pz + bs[i].vz * bs[i].mass end\n"
    "  bs[1].vx = -px / bs[1].mass bs[1].vy = -py / bs[1].mass bs[1].vz = -pz / bs[1].mass return bs end\n"
    "local sqrt = math.sqrt\n"
    "local function advance(bs, steps) local n = #bs for s = 1, steps do\n"
    "  for i = 1, n do local bi = bs[i] for j = i + 1, n do local bj = bs[j]\n"
    "    local dx, dy, dz = bi.x - bj.x, bi.y - bj.y, bi.z - bj.z local d2 = dx*dx + dy*dy + dz*dz\n"
    "    local mag = 0.01 / (d2 * sqrt(d2)) local mj = bj.mass * mag\n"
    "    bi.vx = bi.vx - dx * mj bi.vy = bi.vy - dy * mj bi.vz = bi.vz - dz * mj\n"
    "    local mi = bi.mass * mag bj.vx = bj.vx + dx * mi bj.vy = bj.vy + dy * mi bj.vz = bj.vz + dz * mi end end\n"
    "  for i = 1, n do local b = bs[i] b.x = b.x + 0.01 * b.vx b.y = b.y + 0.01 * b.vy b.z = b.z + 0.01 * b.vz end end end\n"
    "local bs\n"
    "ms = best(3, function() bs = sys() advance(bs, 10000000) end)\n"
    "print(string.format('LuaJIT n-body 1e7 steps: %.1f ms', ms))\n";

int main(void) {
    double *xs = malloc(N * sizeof *xs);
    if (!xs) return 1;
    for (long i = 0; i < N; i++) xs[i] = (double)i;
    double best = 1e18, sum = 0;
    for (int r = 0; r < 5; r++) {
        double t = now_ms();
        volatile double *v = xs; /* keeps the loop from being hoisted out of the runs */
        sum = 0;
        for (long i = 0; i < N; i++) sum += v[i];
        t = now_ms() - t;
        if (t < best) best = t;
    }
    printf("C -O2 sum 1e7: %.1f ms (%.0f)\n", best, sum);
    free(xs);
    best = 1e18;
    long k = 0;
    for (int r = 0; r < 3; r++) {
        double t = now_ms();
        k = sieve(N);
        t = now_ms() - t;
        if (t < best) best = t;
    }
    printf("C -O2 sieve 1e7: %.1f ms (%ld primes)\n", best, k);
    body bs[5];
    best = 1e18;
    for (int r = 0; r < 3; r++) {
        init(bs);
        double t = now_ms();
        advance(bs, 5, STEPS);
        t = now_ms() - t;
        if (t < best) best = t;
    }
    printf("C -O2 n-body 1e7 steps: %.1f ms (energy %.9f)\n", best, energy(bs, 5));
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (luaL_dostring(L, lua)) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        return 1;
    }
    lua_close(L);
    return 0;
}
