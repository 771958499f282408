// SKELETON: the console helper builds the curated window.starpunk bridge from src/shared/contract.ts.
export {}
