//! Where the parts of a parsed module were in the text.

use std::collections::HashMap;

use crate::diag::Pos;
use crate::mir::validate::Loc;

/// Where the parts of a parsed module were in the text.
#[derive(Default, Debug)]
pub struct Positions {
    at: HashMap<Loc, Pos>,
}

impl Positions {
    pub(super) fn insert(&mut self, loc: Loc, line: u32, col: u32) {
        self.at.insert(loc, Pos::new(line, col));
    }

    /// The position of `loc` (the closest known position).
    pub fn of(&self, loc: Loc) -> Pos {
        let fallback = match loc {
            Loc::Inst(r, _, _) | Loc::Term(r, _) | Loc::Block(r, _) | Loc::Slot(r, _) => Some(Loc::Function(r)),
            _ => None,
        };
        self.at.get(&loc).or_else(|| fallback.and_then(|f| self.at.get(&f))).copied().unwrap_or(Pos::new(1, 1))
    }
}
