import { canonicalNumber, compareCanonicalNumbers, NumberFormatError } from '../../lambdas/shared/dynamodb-number';

describe('canonicalNumber', () => {
  it.each([
    ['9007199254740993', '9007199254740993'],
    ['12345678901234567890.123456789012345678', '12345678901234567890.123456789012345678'],
    ['-99999999999999999999999999999999999999', '-99999999999999999999999999999999999999'],
    ['0.000000000000000000000000000001', '0.000000000000000000000000000001'],
    ['1.50', '1.5'],
    ['+1.5', '1.5'],
    ['15E-1', '1.5'],
    ['0015', '15'],
    ['100', '100'],
    ['1E+2', '100'],
    ['1.23e5', '123000'],
    ['5.', '5'],
    ['.5', '0.5'],
    ['-0', '0'],
    ['0.000', '0'],
    ['0E5', '0'],
    ['-12.3400', '-12.34'],
    ['1E+125', `1${'0'.repeat(125)}`],
    ['1E-130', `0.${'0'.repeat(129)}1`],
  ])('writes %s as %s', (input, expected) => {
    // Act
    const text = canonicalNumber(input);

    // Assert
    expect(text).toBe(expected);
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it.each([
    ['', 'is not a number'],
    ['abc', 'is not a number'],
    ['1.2.3', 'is not a number'],
    ['0x1F', 'is not a number'],
    ['Infinity', 'is not a number'],
    ['NaN', 'is not a number'],
    ['.', 'is not a number'],
    ['1e', 'is not a number'],
    ['1E+126', "outside DynamoDB's number range"],
    ['1E-131', "outside DynamoDB's number range"],
    ['1e400', "outside DynamoDB's number range"],
    ['1e99999999999', "outside DynamoDB's number range"],
    ['1234567890123456789012345678901234567891', 'has 40 significant digits'],
  ])('refuses %j', (input, problem) => {
    // Act / Assert
    expect(() => canonicalNumber(input)).toThrow(NumberFormatError);
    expect(() => canonicalNumber(input)).toThrow(problem);
  });
});

describe('compareCanonicalNumbers', () => {
  it('orders by exact value, not by text or by double', () => {
    // Arrange: 2^53 and 2^53 + 1 are one double; "10" < "9" as text.
    const numbers = ['10', '9', '-1.5', '-1.25', '9007199254740993', '9007199254740992', '0.5', '0', '-100'];

    // Act
    const sorted = [...numbers].sort(compareCanonicalNumbers);

    // Assert
    expect(sorted).toEqual(['-100', '-1.5', '-1.25', '0', '0.5', '9', '10', '9007199254740992', '9007199254740993']);
  });

  it('treats equal values as equal', () => {
    expect(compareCanonicalNumbers('1.5', '1.5')).toBe(0);
    expect(compareCanonicalNumbers('-0.5', '-0.25')).toBe(-1);
  });
});
