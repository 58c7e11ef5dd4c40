extension Array where Element: Comparable {
    /// Sorts in place and drops repeats, keeping the storage (block term keys,
    /// the question terms a unit holds).
    mutating func sortAndRemoveDuplicates() {
        sort()
        var kept = 0
        for i in indices where kept == 0 || self[kept - 1] != self[i] {
            self[kept] = self[i]
            kept += 1
        }
        removeLast(count - kept)
    }
}

extension RandomAccessCollection where Index == Int {
    /// In a collection sorted ascending by `key`, the last position whose
    /// key is at most `value`, by bisection; nil when every key is above it
    /// (or the collection is empty). The one bisection of the engine: units
    /// by offset, blocks by first unit, lines by start, documents by offset.
    func lastIndex<Key: Comparable>(atMost value: Key, by key: (Element) -> Key) -> Int? {
        var (low, high) = (startIndex, endIndex)  // the answer + 1 lies in low...high
        while low < high {
            let mid = low + (high - low) / 2
            if key(self[mid]) <= value { low = mid + 1 } else { high = mid }
        }
        return low > startIndex ? low - 1 : nil
    }
}

extension RandomAccessCollection where Index == Int, Element: Comparable {
    func lastIndex(atMost value: Element) -> Int? { lastIndex(atMost: value) { $0 } }
}
