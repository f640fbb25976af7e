/** One file field of a multipart upload. */
export interface UploadedFile {
  bytes: Buffer;
  mimeType: string;
  filename: string;
}

/** The fields of a multipart/form-data body: text fields as strings, files as `UploadedFile`. */
export type FormFields = Map<string, string | UploadedFile>;

/**
 * Parses a multipart/form-data body with Node's own WHATWG `Request.formData()`, so the sandbox needs
 * no multipart dependency. Returns `undefined` when the body is not valid multipart.
 */
export async function parseMultipart(raw: Buffer, contentType: string): Promise<FormFields | undefined> {
  let form: FormData;
  try {
    form = await new Request('http://sandbox.local/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(raw),
    }).formData();
  } catch {
    return undefined;
  }
  const entries: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => entries.push([name, value]));
  const fields: FormFields = new Map();
  for (const [name, value] of entries) {
    if (typeof value === 'string') fields.set(name, value);
    else
      fields.set(name, {
        bytes: Buffer.from(await value.arrayBuffer()),
        mimeType: value.type,
        filename: value.name,
      });
  }
  return fields;
}
