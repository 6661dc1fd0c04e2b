// The graph IR: jaxprs, their evaluation, and building them by partial evaluation (makeJaxpr).

export { inlineCalls } from './inline.js';
export { type Atom, type Eqn, evalJaxpr, Jaxpr, Literal, printJaxpr, Var } from './jaxpr.js';
export { makeJaxpr } from './make-jaxpr.js';
export { type PartialEvalRule, PartialEvalTrace, PartialTracer, partialEvalRules, StagingTrace, tracersToJaxpr } from './partial-eval.js';
