import { describe, expect, it } from 'vitest';
import { RequestError } from '../../src/generation/errors.js';
import { fileStem, parseSubjectMentions, resolveSubjects } from '../../src/generation/subjects.js';

describe('parseSubjectMentions', () => {
  it.each([
    ['@cat and @dog', ['cat', 'dog']],
    ['@Cat, then @cat again, then @CAT', ['Cat']],
    ['mail me@example.com', []],
    ['a_@b and 1@c', []],
    ['(@cat) "@dog" @bird.', ['cat', 'dog', 'bird']],
    ['@my-dog and @my_cat', ['my-dog', 'my_cat']],
    ['@小猫 與 @Émilie and @ネコ', ['小猫', 'Émilie', 'ネコ']],
    ['ping <@123456> and <@&789>', []],
    ['a lone @ sign', []],
    [`@${'a'.repeat(32)}`, ['a'.repeat(32)]],
    [`@${'a'.repeat(33)}`, []],
    ['@@cat', ['cat']],
  ])('%j → %j', (prompt, expected) => {
    expect(parseSubjectMentions(prompt)).toEqual(expected);
  });
});

describe('fileStem', () => {
  it.each([
    ['cat.png', 'cat'],
    ['cat-2.png', 'cat'],
    ['Cat_3.JPG', 'Cat'],
    ['CAT-2.jpg', 'CAT'],
    ['my dog 2.webp', 'my dog'],
    ['my_dog_2.webp', 'my_dog'],
    ['cat (1).png', 'cat'],
    ['cat(2).png', 'cat'],
    ['a-b.png', 'a-b'],
    ['cat2.png', 'cat2'],
    ['cat-2-3.png', 'cat-2'],
    ['2.png', '2'],
    ['-2.png', '-2'],
    ['archive.tar.gz', 'archive.tar'],
    ['.hidden', '.hidden'],
    ['noext', 'noext'],
    ['SPOILER_cat-2.png', 'cat'],
  ])('%s → %s', (filename, stem) => {
    expect(fileStem(filename)).toBe(stem);
  });
});

describe('resolveSubjects', () => {
  it('matches @Cat to cat.png and CAT-2.jpg, case-insensitively', () => {
    expect(resolveSubjects('@Cat on a sofa', ['cat.png', 'sofa.png', 'CAT-2.jpg'])).toEqual([{ name: 'Cat', imageIndexes: [0, 2] }]);
  });

  it('matches non-Latin names', () => {
    expect(resolveSubjects('@小猫 跳舞', ['小猫.png', '小猫_2.png'])).toEqual([{ name: '小猫', imageIndexes: [0, 1] }]);
  });

  it('returns no subjects when the prompt mentions none', () => {
    expect(resolveSubjects('just a park', ['cat.png'])).toEqual([]);
  });

  it('accepts 3 images for one subject', () => {
    expect(resolveSubjects('@cat', ['cat.png', 'cat-2.png', 'cat-3.png'])[0]?.imageIndexes).toEqual([0, 1, 2]);
  });

  it('lists every unknown name and the distinct attached stems', () => {
    try {
      resolveSubjects('@dog and @Bird with @cat', ['cat.png', 'Cat-2.png', 'tree.jpg']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RequestError);
      expect((err as RequestError).params).toEqual({ names: ['dog', 'Bird'], attached: ['cat', 'tree'] });
    }
  });
});
