import Foundation

/// The tensors of a `.safetensors` file, given its bytes (the caller reads
/// the file: the engine does no I/O). Layout: a little-endian u64 header
/// length, a JSON header `{name: {"dtype", "shape", "data_offsets": [begin,
/// end]}}` (offsets from the end of the header), then the data. Only F32
/// tensors are read; every length and offset is checked.
public struct SafeTensors: Sendable {
    public struct Tensor: Sendable {
        public var shape: [Int]
        public var values: [Float]
    }

    public private(set) var tensors: [String: Tensor] = [:]

    public init(_ bytes: UnsafeRawBufferPointer) throws(EngineError) {
        guard bytes.count >= 8 else { throw .damaged("a safetensors file shorter than its header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8), length < 100_000_000 else { throw .damaged("a safetensors header past the file") }
        let headerEnd = 8 + Int(length)
        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
                throw EngineError.damaged("a safetensors header that is not an object")
            }
            header = object
        } catch let error as EngineError {
            throw error
        } catch {
            throw .damaged("a safetensors header that is not JSON")
        }
        for (name, entry) in header where name != "__metadata__" {
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw .damaged("tensor \(name) is described wrongly") }
            guard dtype == "F32" else { continue }
            // Every product and sum checked: a hostile header is an error, not a trap.
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard dimension >= 0, !overflow, product <= bytes.count else { throw .damaged("tensor \(name) has an impossible shape") }
                count = product
            }
            let room = bytes.count - headerEnd
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= room, offsets[1] - offsets[0] == count * 4 else {
                throw .damaged("tensor \(name) lies outside the file or has the wrong size")
            }
            let begin = headerEnd + offsets[0], end = headerEnd + offsets[1]
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { out in
                out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[begin..<end]))
            }
            // The format is little-endian, as every machine Tome runs on.
            tensors[name] = Tensor(shape: shape, values: values)
        }
    }

    /// The tensor `name`, which must have `shape`.
    public func tensor(_ name: String, _ shape: [Int]) throws(EngineError) -> [Float] {
        guard let tensor = tensors[name] else { throw .damaged("the model has no tensor \(name)") }
        guard tensor.shape == shape else { throw .damaged("tensor \(name) has shape \(tensor.shape), not \(shape)") }
        return tensor.values
    }
}
