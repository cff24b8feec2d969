// The api engines; see README.md.
export {};
