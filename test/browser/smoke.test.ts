import { expect } from '@open-wc/testing';
import { errorFromProblem, ValidationProblem } from '../../src/services/errors.js';

describe('toolchain', () => {
  it('runs TypeScript in Chromium', () => {
    const error = errorFromProblem(400, { type: 'about:blank', title: 't', status: 400, errors: [{ path: 'tenantId', message: 'm' }] });
    expect(error).to.be.instanceOf(ValidationProblem);
  });
});
