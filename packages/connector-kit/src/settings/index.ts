// Settings from the environment; see README.md.
export {};
