//! The doubly linked list of call and return entries the search walks (Lowe's
//! "just-in-time" linearization). Linearizing an operation unlinks its entries; undoing it
//! relinks them in reverse order, each in O(1) — the nodes keep their own links while out.

use super::history::Operation;

/// Index of a node; node 0 is the head sentinel and the last node the tail sentinel.
pub type NodeId = u32;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Call(u32),
    Return(u32),
    /// Past the last entry.
    Tail,
}

/// Entries of one partition, ordered by time with calls before returns at equal times.
/// Operations that never returned have a call entry only: their return is at +∞, after
/// every other entry, and the search succeeds before it could reach one.
#[derive(Debug)]
pub struct EntryList {
    next: Vec<NodeId>,
    prev: Vec<NodeId>,
    nodes: Vec<Node>,
    call_node: Vec<NodeId>,
    /// `None` for an operation that never returned.
    return_node: Vec<Option<NodeId>>,
}

const HEAD: NodeId = 0;

impl EntryList {
    /// Builds the list for `ops` (local indices `0..ops.len()`, fewer than `u32::MAX / 4`).
    pub fn build<I, O>(ops: &[&Operation<I, O>]) -> EntryList {
        // (time, 0 for a call / 1 for a return, op): calls sort before returns at equal
        // times because intervals are closed.
        let mut events: Vec<(u64, u8, u32)> = Vec::with_capacity(ops.len() * 2);
        for (op, operation) in ops.iter().enumerate() {
            events.push((operation.call_ns, 0, op as u32));
            if let Some(return_ns) = operation.return_ns {
                events.push((return_ns, 1, op as u32));
            }
        }
        events.sort_unstable();
        let tail = events.len() as NodeId + 1;
        let mut nodes = Vec::with_capacity(events.len() + 2);
        nodes.push(Node::Tail); // the head sentinel is never visited
        let mut call_node = vec![HEAD; ops.len()];
        let mut return_node = vec![None; ops.len()];
        for (i, &(_, kind, op)) in events.iter().enumerate() {
            let id = i as NodeId + 1;
            if kind == 0 {
                nodes.push(Node::Call(op));
                call_node[op as usize] = id;
            } else {
                nodes.push(Node::Return(op));
                return_node[op as usize] = Some(id);
            }
        }
        nodes.push(Node::Tail);
        EntryList {
            next: (1..=tail + 1).map(|n| n.min(tail)).collect(),
            prev: (0..=tail).map(|n| n.saturating_sub(1)).collect(),
            nodes,
            call_node,
            return_node,
        }
    }

    /// Number of entries (linked or not), sentinels excluded.
    pub fn len(&self) -> usize {
        self.nodes.len().saturating_sub(2)
    }

    /// The first entry still in the list (or the tail).
    pub fn first(&self) -> NodeId {
        self.next[HEAD as usize]
    }

    pub fn next(&self, node: NodeId) -> NodeId {
        self.next[node as usize]
    }

    pub fn node(&self, node: NodeId) -> Node {
        self.nodes[node as usize]
    }

    /// Every entry in time order (sentinels excluded), whether linked or not.
    pub fn entries_in_order(&self) -> impl Iterator<Item = Node> + '_ {
        let end = self.nodes.len().saturating_sub(1);
        self.nodes.get(1..end).into_iter().flatten().copied()
    }

    /// Unlinks the entries of `op`.
    pub fn lift(&mut self, op: u32) {
        self.unlink(self.call_node[op as usize]);
        if let Some(ret) = self.return_node[op as usize] {
            self.unlink(ret);
        }
    }

    /// Relinks the entries of `op`; must undo the most recent [`EntryList::lift`] still
    /// in effect.
    pub fn unlift(&mut self, op: u32) {
        if let Some(ret) = self.return_node[op as usize] {
            self.relink(ret);
        }
        self.relink(self.call_node[op as usize]);
    }

    fn unlink(&mut self, node: NodeId) {
        let (p, n) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    fn relink(&mut self, node: NodeId) {
        let (p, n) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = node;
        self.prev[n as usize] = node;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(list: &EntryList) -> Vec<Node> {
        let mut out = Vec::new();
        let mut node = list.first();
        for _ in 0..100 {
            match list.node(node) {
                Node::Tail => break,
                n => out.push(n),
            }
            node = list.next(node);
        }
        out
    }

    #[test]
    fn calls_sort_before_returns_and_lifts_undo() {
        let a = Operation::completed(0, 0, 5, (), ());
        let b = Operation::completed(1, 5, 6, (), ());
        let c = Operation::pending(2, 1, ());
        let list_ops = [&a, &b, &c];
        let mut list = EntryList::build(&list_ops);
        let all = vec![
            Node::Call(0),
            Node::Call(2),
            Node::Call(1),
            Node::Return(0),
            Node::Return(1),
        ];
        assert_eq!(walk(&list), all);
        list.lift(0);
        list.lift(1);
        assert_eq!(walk(&list), vec![Node::Call(2)]);
        list.unlift(1);
        list.unlift(0);
        assert_eq!(walk(&list), all);
        assert_eq!(list.entries_in_order().collect::<Vec<_>>(), all);
    }
}
