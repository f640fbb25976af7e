import { invalidParameter, invalidValue, missingParameter } from './errors.ts';
import type { Json } from './validate-util.ts';
import { isObject, pathOf, requireObject, requireString } from './validate-util.ts';

const COMPONENT_TYPES = ['header', 'body', 'button', 'footer', 'carousel', 'limited_time_offer'];
const PARAM_TYPES = [
  'text',
  'currency',
  'date_time',
  'image',
  'video',
  'document',
  'location',
  'payload',
  'action',
  'coupon_code',
];

/**
 * Template sends (spec §2.2): name and language are required; components, when present, must have
 * a known type and well-formed parameters; named (`parameter_name`) and positional parameters may
 * not be mixed in one component. Registry checks (does the template exist, do counts match) come
 * later, in `resolveTemplate`.
 */
export function validateTemplate(p: Json): void {
  const name = requireString(p.name, pathOf('template', 'name'), 512);
  if (!/^[a-z0-9_]+$/.test(name)) throw invalidValue(`Template name "${name}" is not valid.`);
  const language = requireObject(p.language, pathOf('template', 'language'));
  requireString(language.code, pathOf('template', 'language', 'code'));
  if (p.components === undefined) return;
  if (!Array.isArray(p.components)) throw invalidParameter("Param template['components'] must be an array.");
  p.components.forEach((c: unknown, i) => validateComponent(c, i));
}

function validateComponent(c: unknown, i: number): void {
  const path = pathOf('template', 'components', i);
  const comp = requireObject(c, path);
  if (typeof comp.type !== 'string' || !COMPONENT_TYPES.includes(comp.type)) {
    throw invalidParameter(
      `Param ${path}['type'] must be one of {${COMPONENT_TYPES.join(', ').toUpperCase()}}.`,
    );
  }
  if (comp.type === 'button') {
    if (typeof comp.sub_type !== 'string')
      throw missingParameter(`The parameter ${path}['sub_type'] is required.`);
    if (comp.index === undefined || !/^\d+$/.test(String(comp.index))) {
      throw missingParameter(`The parameter ${path}['index'] is required.`);
    }
  }
  if (comp.parameters === undefined) return;
  if (!Array.isArray(comp.parameters))
    throw invalidParameter(`Param ${path}['parameters'] must be an array.`);
  let named = 0;
  comp.parameters.forEach((param: unknown, j) => {
    const pp = `${path}['parameters'][${j}]`;
    if (!isObject(param) || typeof param.type !== 'string' || !PARAM_TYPES.includes(param.type)) {
      throw invalidParameter(`Param ${pp}['type'] is not valid.`);
    }
    if (param.type !== 'payload' && param.type !== 'action' && param[param.type] === undefined) {
      throw missingParameter(`The parameter ${pp}['${param.type}'] is required.`);
    }
    if (param.parameter_name !== undefined) named++;
  });
  if (named > 0 && named !== comp.parameters.length) {
    throw invalidValue('Named and positional parameters cannot be mixed in one component.');
  }
}
