/**
 * The context store the bundle gives the X-Ray SDK in place of cls-hooked: the semantics the SDK
 * relies on (its segment follows each async flow; the context entered at init is the fallback).
 * The tracing suite checks the same on the shipped bundle, end to end.
 */
import {
  createNamespace,
  destroyNamespace,
  getNamespace,
  reset,
  type Namespace,
} from '../../lambda/xray-async-context';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let ns: Namespace;
beforeEach(() => {
  reset();
  ns = createNamespace('AWSXRay');
});

it('registers namespaces by name, as cls-hooked does', () => {
  expect(getNamespace('AWSXRay')).toBe(ns);
  destroyNamespace('AWSXRay');
  expect(getNamespace('AWSXRay')).toBeUndefined();
});

it('refuses a write outside any context, and reads nothing there', () => {
  expect(ns.active).toBeNull();
  expect(ns.get('segment')).toBeUndefined();
  expect(() => ns.set('segment', 'x')).toThrow('No context available');
});

it('keeps each run() context with its own async flow, however the flows interleave', async () => {
  const seen: string[] = [];
  const flow = (name: string, delays: number[]) =>
    new Promise<void>((resolve) =>
      ns.run(async () => {
        ns.set('segment', name);
        for (const delay of delays) {
          await tick(delay);
          seen.push(`${name}:${String(ns.get('segment'))}`);
        }
        resolve();
      }),
    );
  await Promise.all([flow('a', [5, 1, 5]), flow('b', [1, 5, 1])]);
  expect(seen.sort()).toEqual(['a:a', 'a:a', 'a:a', 'b:b', 'b:b', 'b:b']);
});

it('gives a child context its parent keys, and keeps the child writes to itself', () => {
  ns.run(() => {
    ns.set('segment', 'parent');
    ns.set('user', 'u1');
    ns.run(() => {
      expect(ns.get('user')).toBe('u1');
      ns.set('segment', 'child');
      expect(ns.get('segment')).toBe('child');
    });
    expect(ns.get('segment')).toBe('parent');
  });
  expect(ns.runAndReturn(() => 42)).toBe(42);
});

it('makes an entered context active wherever no run() context is, even in callbacks created before it', async () => {
  const before = new Promise<unknown>((resolve) => setTimeout(() => resolve(ns.get('segment')), 5));
  const facade = ns.createContext();
  ns.enter(facade);
  ns.set('segment', 'facade');
  expect(await before).toBe('facade');
  ns.run(() => {
    ns.set('segment', 'subsegment');
    expect(ns.get('segment')).toBe('subsegment');
  });
  expect(ns.get('segment')).toBe('facade');
  ns.exit(facade);
  expect(ns.active).toBeNull();
});

it('binds a callback to the context it was bound in, wherever it is called', async () => {
  let bound: (() => unknown) | undefined;
  ns.run(() => {
    ns.set('segment', 'bound');
    bound = ns.bind(() => ns.get('segment'));
  });
  ns.run(() => {
    ns.set('segment', 'other');
    expect(bound?.()).toBe('bound');
  });
  await tick(1);
  expect(bound?.()).toBe('bound');
});
