/** JSON manipulation: coalesce, addProperty, setProperty, removeProperty. Objects are copied, never mutated. */
import { FunctionFailure } from '../errors';
import { copyObject, getOwn, setOwn } from '../values';
import { obj, str } from './args';
import { fn, type FunctionTable } from './types';

export const manipulationFunctions: FunctionTable = {
  coalesce: fn('coalesce', 1, Infinity, (args) => args.find((a) => a !== null) ?? null),
  addproperty: fn('addProperty', 3, 3, (args, ctx) => {
    const target = obj(ctx.name, args, 0);
    const name = str(ctx.name, args, 1);
    if (getOwn(target, name) !== undefined) {
      throw new FunctionFailure(`The function 'addProperty' cannot add '${name}': the object already has that property (use setProperty to change it).`);
    }
    const out = copyObject(target);
    setOwn(out, name, args[2]);
    return out;
  }),
  setproperty: fn('setProperty', 3, 3, (args, ctx) => {
    const target = obj(ctx.name, args, 0);
    const name = str(ctx.name, args, 1);
    const out = copyObject(target);
    const existing = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase());
    setOwn(out, existing ?? name, args[2]);
    return out;
  }),
  removeproperty: fn('removeProperty', 2, 2, (args, ctx) => {
    const target = obj(ctx.name, args, 0);
    const name = str(ctx.name, args, 1);
    const out = copyObject(target);
    for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
    return out;
  }),
};
