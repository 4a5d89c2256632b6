// The phone side of latchkey's phone keys in the browser (issue 12, PHONE-KEYS.md 2 and 3):
// the protocol, with no DOM needed, so that Node runs the same code in the tests
// (tests/browser/phone_protocol.test.mjs). The app's pieces that need a browser are next to it:
// keystore.ts (IndexedDB), enroll.ts (the hub's API), ble.ts (Web Bluetooth).
export * from './bytes';
export * from './cbor';
export * from './certificate';
export * from './door';
export * from './frame';
export * from './link';
export * from './messages';
export * from './noise';
export * from './session';
export * from './x25519';
