// clientWhitelistEnabled: only peers whose ClientID (see protocol/client-id.ts) is listed may announce.
// Mutable at run time through the admin API's /clients/:clientID.

export class ClientWhitelist {
  private readonly ids: Set<string>;

  constructor(readonly enabled: boolean, initial: readonly string[]) {
    this.ids = new Set(initial);
  }

  allows(clientId: string): boolean {
    return this.ids.has(clientId);
  }

  add(clientId: string): void {
    this.ids.add(clientId);
  }

  remove(clientId: string): boolean {
    return this.ids.delete(clientId);
  }

  list(): string[] {
    return [...this.ids].sort();
  }
}
