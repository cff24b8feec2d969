// The verify engines; see README.md.
export {};
