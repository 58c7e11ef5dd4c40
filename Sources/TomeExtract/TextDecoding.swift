/// Turns the bytes of a text file into a String by one documented rule:
///
/// 1. A byte-order mark decides: UTF-8 (stripped), UTF-16 LE or BE.
/// 2. Otherwise valid UTF-8 is read as UTF-8.
/// 3. Otherwise the file is legacy 8-bit text and is read as Windows-1252
///    (the superset of ISO-8859-1 that WHATWG uses for both labels): every
///    byte maps to one character, so nothing is dropped or replaced.
enum TextDecoding {
    enum Encoding: String { case utf8 = "UTF-8", utf16LE = "UTF-16LE", utf16BE = "UTF-16BE", windows1252 = "windows-1252" }

    static func decode(_ bytes: [UInt8]) -> (text: String, encoding: Encoding) {
        if ContentSniffer.hasPrefix([0xEF, 0xBB, 0xBF], bytes, at: 0) {
            return (String(decoding: bytes.dropFirst(3), as: UTF8.self), .utf8)
        }
        if ContentSniffer.hasPrefix([0xFF, 0xFE], bytes, at: 0) { return (utf16(bytes.dropFirst(2), littleEndian: true), .utf16LE) }
        if ContentSniffer.hasPrefix([0xFE, 0xFF], bytes, at: 0) { return (utf16(bytes.dropFirst(2), littleEndian: false), .utf16BE) }
        if let text = String(validating: bytes, as: UTF8.self) { return (text, .utf8) }
        return (windows1252(bytes), .windows1252)
    }

    static func isValidUTF8(_ bytes: some Collection<UInt8>) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    private static func utf16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
            units.append(littleEndian ? a | b << 8 : a << 8 | b)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Code points of bytes 0x80...0x9F in Windows-1252; the five bytes the code
    /// page leaves undefined map to the C1 control of the same value (WHATWG).
    private static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for b in bytes {
            let value = (0x80...0x9F).contains(b) ? cp1252High[Int(b) - 0x80] : UInt32(b)
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
