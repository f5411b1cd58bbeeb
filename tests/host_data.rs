//! Host data (language.md "Host data", c-api 48 and 54): scripts read and
//! write the host's structs in place through `extern struct` and
//! `extern val`, bound with `bind_struct`.

mod backend_support;

use rtjit::{Error, Manager, Value};

fn manager() -> Manager {
    Manager::new(backend_support::backend()).expect("a manager")
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Player {
    x: f64,
    vx: f64,
    hp: i32,
    flags: u8,
}

const GAME: &str = "\
extern struct Player:
    x: f64
    vx: f64
    hp: i32
    flags: u8
extern val player: Player
extern val enemies: [Player]

fn update(dt: f64):
    player.x += player.vx * dt

fn total_hp() -> i64:
    var t = 0
    for e in enemies:
        t += e.hp
    return t

fn hurt(i: i64, d: i64):
    enemies[i].hp -= d
    enemies[i].flags = 300

fn count() -> i64:
    return len(enemies)

fn nudge(p: Player):
    p.x += 1.0
";

fn addr<T>(p: &mut T) -> usize {
    p as *mut T as usize
}

#[test]
fn the_seed_line_moves_the_hosts_player() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let mut p = Player { x: 1.0, vx: 2.0, hp: 10, flags: 0 };
    m.bind_struct("player", addr(&mut p), 1).unwrap();
    m.call("update", &[Value::F64(0.5)]).unwrap();
    assert_eq!(p.x, 2.0);
    // Rebinding is seen by the next call.
    let mut q = Player { x: 10.0, vx: -4.0, ..Player::default() };
    m.bind_struct("player", addr(&mut q), 1).unwrap();
    m.call("update", &[Value::F64(1.0)]).unwrap();
    assert_eq!((p.x, q.x), (2.0, 6.0));
}

#[test]
fn arrays_are_indexed_measured_and_looped_over_in_place() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let mut es: Vec<Player> = (0..5).map(|i| Player { hp: 10 * i, ..Player::default() }).collect();
    m.bind_struct("enemies", es.as_mut_ptr() as usize, es.len()).unwrap();
    assert_eq!(m.call("count", &[]).unwrap(), Value::I64(5));
    assert_eq!(m.call("total_hp", &[]).unwrap(), Value::I64(100));
    m.call("hurt", &[Value::I64(2), Value::I64(25)]).unwrap();
    // Narrow fields wrap: 300 is 44 in a u8, and 20 - 25 is -5 in an i32.
    assert_eq!((es[2].hp, es[2].flags), (-5, 44));
    let err = m.call("hurt", &[Value::I64(5), Value::I64(1)]).unwrap_err();
    assert!(err.to_string().contains("index out of range: 5 (length 5) in hurt at line 19"), "{err}");
    let err = m.call("hurt", &[Value::I64(-1), Value::I64(1)]).unwrap_err();
    assert!(err.to_string().contains("index out of range: -1 (length 5)"), "{err}");
    // An empty array is bound, not unbound.
    m.bind_struct("enemies", 0, 0).unwrap();
    assert_eq!(m.call("total_hp", &[]).unwrap(), Value::I64(0));
}

#[test]
fn an_unbound_extern_is_a_runtime_error() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let err = m.call("update", &[Value::F64(1.0)]).unwrap_err();
    assert!(matches!(err, Error::Runtime(_)), "{err:?}");
    assert!(err.to_string().contains("unbound extern player in update at line 10"), "{err}");
    let err = m.call("count", &[]).unwrap_err();
    assert!(err.to_string().contains("unbound extern enemies"), "{err}");
    let mut p = Player::default();
    m.bind_struct("player", addr(&mut p), 1).unwrap();
    m.bind_struct("player", 0, 0).unwrap();
    assert!(m.call("update", &[Value::F64(1.0)]).unwrap_err().to_string().contains("unbound extern player"));
}

#[test]
fn bad_bindings_are_refused() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let mut p = [Player::default(), Player::default()];
    let bad = |r: rtjit::Result<()>| match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(bad(m.bind_struct("enemies", 0, 3)).contains("NULL address"));
    assert!(bad(m.bind_struct("player", addr(&mut p), 2)).contains("the count is 1"));
    assert!(bad(m.bind_struct("player", addr(&mut p) + 1, 1)).contains("not aligned"));
    assert!(bad(m.bind_struct("enemies", 8, usize::MAX / 8)).contains("do not fit"));
    assert!(matches!(m.bind_struct("nobody", addr(&mut p), 1), Err(Error::NotFound(_))));
}

#[test]
fn a_host_struct_parameter_is_a_pointer_and_null_is_refused() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let mut p = Player::default();
    m.execute("nudge", &[addr(&mut p) as i64]).unwrap();
    assert_eq!(p.x, 1.0);
    // Through a typed call, the address is an i64 value.
    m.call("nudge", &[Value::I64(addr(&mut p) as i64)]).unwrap();
    assert_eq!(p.x, 2.0);
    let err = m.execute("nudge", &[0]).unwrap_err();
    assert!(err.to_string().contains("null pointer for extern struct Player in nudge"), "{err}");
}

#[test]
fn layouts_are_those_of_c() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let layout = m.struct_layout("Player").unwrap();
    assert_eq!(
        layout,
        r#"{"size": 24, "align": 8, "fields": [{"name": "x", "type": "f64", "offset": 0}, {"name": "vx", "type": "f64", "offset": 8}, {"name": "hp", "type": "i32", "offset": 16}, {"name": "flags", "type": "u8", "offset": 20}]}"#
    );
    assert_eq!(std::mem::size_of::<Player>(), 24);
    assert_eq!(std::mem::offset_of!(Player, flags), 20);
    assert!(matches!(m.struct_layout("Nope"), Err(Error::NotFound(_))));
}

/// The MIR `rt_mir_from_source` prints for host data compiles to the same
/// behaviour: the same layouts, and the same reads and writes.
#[test]
fn host_data_round_trips_through_mir() {
    let text = rtjit::mir_from_source(GAME).unwrap();
    assert!(text.contains("extern struct Player { x: f64, vx: f64, hp: i32, flags: u8 }"), "{text}");
    assert!(text.contains("extern val enemies: [Player]"), "{text}");
    let (module, _) = rtjit::parse_mir(&text).unwrap();
    assert_eq!(rtjit::print_mir(&module), text);
    let (by_source, by_mir) = (manager(), manager());
    by_source.compile_source(GAME, "<source>").unwrap();
    by_mir.compile_mir(text.as_bytes(), "<mir>").unwrap();
    assert_eq!(by_source.struct_layout("Player").unwrap(), by_mir.struct_layout("Player").unwrap());
    let mut states = Vec::new();
    for m in [&by_source, &by_mir] {
        let mut es: Vec<Player> = (0..4).map(|i| Player { x: f64::from(i), vx: 1.5, hp: 7 * i, flags: 0 }).collect();
        let mut p = Player { x: 0.25, vx: -3.0, hp: 1, flags: 9 };
        m.bind_struct("enemies", es.as_mut_ptr() as usize, es.len()).unwrap();
        m.bind_struct("player", addr(&mut p), 1).unwrap();
        m.call("update", &[Value::F64(0.5)]).unwrap();
        m.call("hurt", &[Value::I64(3), Value::I64(100)]).unwrap();
        m.execute("nudge", &[addr(&mut es[1]) as i64]).unwrap();
        let total = m.call("total_hp", &[]).unwrap();
        let err = m.call("hurt", &[Value::I64(9), Value::I64(1)]).unwrap_err().to_string();
        states.push((es, p, total, err));
    }
    assert_eq!(states[0], states[1]);
}

#[test]
fn host_memory_is_not_data() {
    let m = manager();
    m.compile_source(GAME, "<source>").unwrap();
    let refused = |src: &str, words: &str| match m.compile_source(src, "<source>") {
        Err(Error::Compile(msg)) => assert!(msg.contains(words), "{src}: {msg}"),
        other => panic!("{src}: {other:?}"),
    };
    refused("val p = player\n", "a global cannot hold host memory");
    refused("fn f() -> Player:\n    return player\n", "cannot return host memory");
    refused("fn f():\n    val xs = [player]\n", "an array of nothing");
    refused("fn f():\n    val e = enemies\n", "is the host's memory, not a value");
    refused("fn f():\n    enemies.push(player)\n", "it is the host's memory");
    refused("fn f():\n    print(player)\n", "print its fields");
    refused("fn f() -> text:\n    return str(player)\n", "use its fields");
    refused("fn f() -> i64:\n    return len(player)\n", "`len` needs a text, an array or a map, found Player");
    refused(
        "fn f():\n    for p in player:\n        p.x = 0.0\n",
        "`for` needs a range `a..b`, an array or a map, found Player",
    );
    refused("fn f() -> bool:\n    return player < player\n", "orders numbers or texts");
    refused("fn f():\n    player.z = 1.0\n", "has no field `z` (its fields: x, vx, hp, flags)");
    refused("fn f():\n    player.x = \"a\"\n", "field `x` of extern struct `Player`");
    refused("extern struct Q:\n    s: text\n", "a field of an extern struct has a C type");
    refused("extern val q: Nope\n", "unknown extern struct `Nope`");
    refused(
        "extern struct Player:\n    x: f64\n",
        "already declared with fields { x: f64, vx: f64, hp: i32, flags: u8 }",
    );
    refused("extern val player: [Player]\n", "extern val `player` is already declared as Player");
    // The same declarations again (a hot reload) are fine.
    m.compile_source(GAME, "<source>").unwrap();
}

#[test]
fn threads_update_different_bindings_at_once() {
    const SRC: &str = "\
extern struct P:
    x: f64
    n: i64
extern val a: [P]
extern val b: [P]
fn step_a():
    for p in a:
        p.x += 1.0
        p.n += 1
fn step_b():
    for p in b:
        p.x -= 1.0
        p.n += 2
";
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct P {
        x: f64,
        n: i64,
    }
    let m = manager();
    m.compile_source(SRC, "<source>").unwrap();
    let mut xs = vec![P::default(); 1000];
    let mut ys = vec![P::default(); 1000];
    m.bind_struct("a", xs.as_mut_ptr() as usize, xs.len()).unwrap();
    m.bind_struct("b", ys.as_mut_ptr() as usize, ys.len()).unwrap();
    std::thread::scope(|s| {
        for f in ["step_a", "step_b"] {
            let m = &m;
            s.spawn(move || {
                for _ in 0..500 {
                    m.call(f, &[]).unwrap();
                }
            });
        }
    });
    assert!(xs.iter().all(|p| p.x == 500.0 && p.n == 500));
    assert!(ys.iter().all(|p| p.x == -500.0 && p.n == 1000));
}

/// The seed's line, verbatim (its `dt` has no type, so it is an `i64`).
#[test]
fn the_seed_line_runs_verbatim() {
    let m = manager();
    let src = "extern struct Player:\n    x: f64\n    vx: f64\nextern val player: Player\n\
               fn update(dt): player.x += player.vx * dt\n";
    m.compile_source(src, "<source>").unwrap();
    #[repr(C)]
    struct P {
        x: f64,
        vx: f64,
    }
    let mut p = P { x: 1.0, vx: 0.25 };
    m.bind_struct("player", addr(&mut p), 1).unwrap();
    m.call("update", &[Value::I64(4)]).unwrap();
    assert_eq!(p.x, 2.0);
}
