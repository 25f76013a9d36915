"""Sample submissions: the reference, the stub and the catalogue of typical mistakes.

``samples.submissions`` writes them (a sample class for ``make grade``, the
folders the kit's tests, the benches and the screenshots grade);
``samples.mistakes.<a>`` lists each assignment's catalogued mistakes, each the
reference with one honest error and the message that must name it.
"""
