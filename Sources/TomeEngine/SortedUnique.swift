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
