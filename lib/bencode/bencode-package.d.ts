/**
 * Types for the parts of the untyped `bencode` package (v4) that
 * `lib/bencode/encode.ts` uses.
 */
declare module 'bencode' {
  interface Encode {
    (data: unknown): Uint8Array
  }
  const bencode: {
    readonly encode: Encode
    readonly byteLength: (data: unknown) => number
  }
  export default bencode
}
