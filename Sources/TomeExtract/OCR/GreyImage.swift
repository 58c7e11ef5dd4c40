/// An 8-bit grey raster, one byte a pixel, rows packed (`width` bytes a
/// row): what Tesseract reads. Made from a cairo render of a PDF page or a
/// Leptonica decode of an image file.
public struct GreyImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]
    /// Pixels per inch (a PDF page's render resolution, an image's own or an assumed 300).
    public var dpi: Int

    public init(width: Int, height: Int, pixels: [UInt8], dpi: Int) {
        precondition(pixels.count == width * height, "a grey image needs width × height pixels")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.dpi = dpi
    }

    /// Grey from cairo's ARGB32 (premultiplied, native-endian words: bytes
    /// B, G, R, A on little-endian), over white: Y = 0.299 R + 0.587 G + 0.114 B,
    /// in integer arithmetic (77, 150, 29 / 256).
    public init(argb32 data: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int, dpi: Int) {
        var pixels = [UInt8](repeating: 255, count: width * height)
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = data.baseAddress.map { $0 + y * stride }
                guard let row else { continue }
                for x in 0..<width {
                    let word = row.load(fromByteOffset: x * 4, as: UInt32.self)
                    let (r, g, b) = ((word >> 16) & 0xFF, (word >> 8) & 0xFF, word & 0xFF)
                    out[y * width + x] = UInt8((77 * r + 150 * g + 29 * b) >> 8)
                }
            }
        }
        self.init(width: width, height: height, pixels: pixels, dpi: dpi)
    }

    /// Turned clockwise by `quarters` × 90°.
    public func rotated(clockwiseQuarters quarters: Int) -> GreyImage {
        let q = ((quarters % 4) + 4) % 4
        guard q != 0 else { return self }
        let (w, h) = q == 2 ? (width, height) : (height, width)
        var out = [UInt8](repeating: 255, count: w * h)
        for y in 0..<height {
            for x in 0..<width {
                let (nx, ny): (Int, Int) = switch q {
                case 1: (height - 1 - y, x)
                case 2: (width - 1 - x, height - 1 - y)
                default: (y, width - 1 - x)
                }
                out[ny * w + nx] = pixels[y * width + x]
            }
        }
        return GreyImage(width: w, height: h, pixels: out, dpi: dpi)
    }

    /// Whether any pixel is darker than `threshold` (a page with nothing on it needs no OCR).
    public var hasInk: Bool { pixels.contains { $0 < 160 } }
}
