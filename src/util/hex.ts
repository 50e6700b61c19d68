// The value of each hexadecimal digit character, -1 for any other code unit below 256: one table for the
// percent-decoder, the address parser and the JWT infohash claim.

export const HEX_DIGIT_VALUE: Int8Array = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_DIGIT_VALUE[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_DIGIT_VALUE[0x41 + c] = 10 + c;
  HEX_DIGIT_VALUE[0x61 + c] = 10 + c;
}

/** The digit's value, or -1 (also for code units of 256 and above). */
export function hexDigitValue(code: number): number {
  return code < 256 ? HEX_DIGIT_VALUE[code]! : -1;
}
