// ClientID as chihaya derives it from a peer_id: Azureus-style `-AZ2060-...` gives the six characters
// after the dash (`AZ2060`); any other peer_id gives its first six characters.

export function clientIdOf(peerId: Uint8Array, offset = 0): string {
  const start = peerId[offset] === 0x2d /* - */ ? offset + 1 : offset;
  return String.fromCharCode(
    peerId[start]!, peerId[start + 1]!, peerId[start + 2]!, peerId[start + 3]!, peerId[start + 4]!, peerId[start + 5]!,
  );
}
