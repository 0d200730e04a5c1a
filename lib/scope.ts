/**
 * Where one part of the stack declares its resources: as children of the component, with logical
 * names derived from the component's name, so two components in one program never collide.
 */
import type * as pulumi from '@pulumi/pulumi';

export interface Scope {
  parent: pulumi.Resource;
  /** The logical name of a child: `<component name>-<part>`. */
  name(part: string): string;
}

export function scopeOf(parent: pulumi.Resource, componentName: string): Scope {
  return { parent, name: (part) => `${componentName}-${part}` };
}
