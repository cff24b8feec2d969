// The mirror engines; see README.md.
export {};
