//! Checkpoints: the places where a running call may be stopped (by an
//! interrupt, the time limit or the step limit), at every function entry
//! and on every loop back edge, so no call can run forever without passing
//! one. A checkpoint is also one step of the step limit; this pass runs
//! before any other, so every optimisation level counts the same steps at
//! the same places (the unroller copies a body with its entry checkpoint,
//! as a call would have passed it).

use crate::mir::data::*;

/// Inserts the checkpoints of `f`.
pub fn insert(f: &mut Function) {
    let entry_line = f.line;
    let checkpoint = |line| Inst { kind: InstKind::Checkpoint, line };
    for (tail, head) in f.back_edges() {
        let line = f.blocks[tail].term_line;
        if let Terminator::Jump(_) = f.blocks[tail].term {
            f.blocks[tail].insts.push(checkpoint(line));
            continue;
        }
        // A branch that loops on one target: the check goes on that edge
        // only, in a block of its own, so leaving the loop is not a step.
        let split = BlockId(f.blocks.len() as u32);
        let head = BlockId(head as u32);
        f.blocks[tail].term = f.blocks[tail].term.map_blocks(|b| if b == head { split } else { b });
        f.blocks.push(Block {
            label: String::new(),
            insts: vec![checkpoint(line)],
            term: Terminator::Jump(head),
            term_line: line,
        });
    }
    if let Some(entry) = f.blocks.first_mut() {
        entry.insts.insert(0, checkpoint(entry_line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(f: &Function) -> usize {
        f.insts().filter(|(_, _, i)| i.kind == InstKind::Checkpoint).count()
    }

    #[test]
    fn every_entry_and_loop_gets_one() {
        let text = "mir 1
fn f(n: i64) -> i64 {
    local i: i64
    local c: bool
entry:
    i = copy 0
    jmp head
head:
    c = lt i, n
    br c, body, done
body:
    i = add i, 1
    c = lt i, 100
    br c, head, done
done:
    ret i
}
";
        let mut f = crate::mir::text::parse(text).unwrap().0.functions.remove(0);
        insert(&mut f);
        assert_eq!(count(&f), 2, "entry and the loop's back edge");
        // The back edge from `body` to `head` goes through a new block.
        let body = &f.blocks[2];
        let Terminator::Branch { then_block, else_block, .. } = body.term else { panic!("{:?}", body.term) };
        assert_eq!(else_block, BlockId(3), "leaving the loop is not a step");
        assert_eq!(f.blocks[then_block.0 as usize].insts[0].kind, InstKind::Checkpoint);
        crate::mir::fixtures::assert_valid(f);
    }
}
