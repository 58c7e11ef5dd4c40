/// A min-heap keeping the `capacity` best (score, id) pairs seen; on equal
/// scores the lower id ranks higher, so top-k is deterministic. The indexer's
/// top blocks and attention's top candidates are both kept in one.
///
///     offer: O(log k);  floor (the k-th best, once full): O(1)
struct BoundedHeap {
    let capacity: Int
    private(set) var items: [(score: Double, id: Int)] = []

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    /// `a` ranks below `b`: a lower score, or an equal score and a later id.
    @inline(__always) static func below(_ a: (score: Double, id: Int), _ b: (score: Double, id: Int)) -> Bool {
        a.score < b.score || (a.score == b.score && a.id > b.id)
    }

    /// The lowest kept item, when the heap is full.
    var floor: (score: Double, id: Int)? { items.count == capacity ? items.first : nil }

    mutating func offer(score: Double, id: Int) {
        guard capacity > 0 else { return }
        let item = (score: score, id: id)
        if items.count < capacity {
            items.append(item)
            var c = items.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard Self.below(items[c], items[p]) else { break }
                items.swapAt(c, p)
                c = p
            }
        } else if let root = items.first, Self.below(root, item) {
            items[0] = item
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count, Self.below(items[l], items[m]) { m = l }
                if r < items.count, Self.below(items[r], items[m]) { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
    }

    /// Kept items, best first.
    func sortedDescending() -> [(score: Double, id: Int)] {
        items.sorted { Self.below($1, $0) }
    }
}
