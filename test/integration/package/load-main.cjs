/**
 * Loads a staged app the way the Azure Functions Node.js worker does, in a process of its own:
 *   node load-main.cjs <app root> <report file>
 * The worker has no @azure/functions-core package on disk: it answers `require('@azure/functions-core')` itself by
 * wrapping Module.prototype.require (azure-functions-nodejs-worker, src/setupCoreModule.ts), and @azure/functions
 * registers each `app.*` function through that API's registerFunction. This file provides the same API, recording
 * each registration, then requires package.json "main" from the app root (the working directory, as on the host).
 * The report lists the registrations, the app's own catalogue (dist/functions/all.js, already loaded by main) and
 * every loaded module file outside the app root: with only the packaged node_modules, that list must be empty.
 */
const Module = require('module');
const fs = require('fs');
const path = require('path');

const [root, reportFile] = process.argv.slice(2);
const registrations = [];
const disposable = { dispose() {} };
let programmingModel;
const coreApi = {
  version: 'dvsync-package-test',
  hostVersion: '4.0.0',
  setProgrammingModel(model) {
    programmingModel = model;
  },
  getProgrammingModel() {
    return programmingModel;
  },
  registerFunction(metadata) {
    registrations.push(metadata);
    return disposable;
  },
  registerHook() {
    return disposable;
  },
  log() {},
};
Module.prototype.require = new Proxy(Module.prototype.require, {
  apply(target, thisArg, args) {
    return args[0] === '@azure/functions-core' ? coreApi : Reflect.apply(target, thisArg, args);
  },
});

process.chdir(root);
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const report = { main: manifest.main, programmingModel: undefined, registrations: [], catalogue: [], outside: [], error: undefined };
try {
  require(path.resolve(root, manifest.main));
  report.programmingModel = programmingModel && `${programmingModel.name}@${programmingModel.version}`;
  report.registrations = registrations.map((m) => ({
    name: m.name,
    triggers: Object.values(m.bindings).filter((b) => /trigger$/i.test(b.type)),
  }));
  const all = require.cache[path.resolve(root, 'dist/functions/all.js')];
  report.catalogue = all ? all.exports.allFunctions.map((d) => ({ name: d.name, trigger: d.trigger })) : [];
} catch (e) {
  report.error = String((e && e.stack) || e);
}
const inside = path.resolve(root) + path.sep;
report.outside = Object.keys(require.cache).filter((f) => f !== module.filename && !f.startsWith(inside));
fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
process.exit(0);
